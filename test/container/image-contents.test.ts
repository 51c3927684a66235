import t from 'tap'
import { buildImage, IMAGE, LABEL, removeContainer, requireEngine, run, uniqueName } from './engine.js'

// What is in the image: the app and its production dependencies, nothing else.
const docker = await requireEngine(t)
if (docker !== undefined) {
  t.test('the image holds no tests, no sources, no dev dependencies and no key material', async (t) => {
    t.equal((await buildImage(docker)).code, 0, 'image built')
    const name = uniqueName('contents')
    t.teardown(() => removeContainer(docker, name))
    t.equal((await run(docker, ['create', '--name', name, '--label', LABEL, IMAGE])).code, 0)
    // the file list, and the text of every file under /app scanned for private keys
    const list = await run('bash', ['-c', `"${docker}" export "${name}" | tar -t`], { timeoutMs: 120_000 })
    t.equal(list.code, 0, list.stderr)
    const files = list.stdout.split('\n').filter((f) => f !== '')
    t.ok(files.includes('app/dist/cli/main.js'), 'the compiled app is there')
    const app = files.filter((f) => f.startsWith('app/'))
    t.same(app.filter((f) => /^app\/(test|src|scripts|examples|deploy|\.git)\//.test(f)), [], 'no tests, sources or repository files')
    t.same(app.filter((f) => /^app\/[^/]+$/.test(f)), ['app/package.json'], 'only package.json at the top')
    t.same(app.filter((f) => /^app\/node_modules\/(tap|typescript|node-forge|kubernetes-models|@types\/node)\//.test(f)), [], 'no dev dependencies')
    t.same(files.filter((f) => /\.(key|p12|pfx|csr)$/.test(f)), [], 'no key-shaped file anywhere')
    t.same(app.filter((f) => /\.(pem|crt)$/.test(f)), [], 'no certificate file under /app')
    t.same(files.filter((f) => f.startsWith('run/secrets/') && !f.endsWith('/')), [], 'the build secret did not stay')

    const scan = await run('bash', ['-c',
      `"${docker}" export "${name}" | tar -x -O --wildcards 'app/*' | grep -c -E -- '-----BEGIN ([A-Z]+ )?PRIVATE KEY-----' || true`], { timeoutMs: 120_000 })
    t.equal(scan.stdout.trim(), '0', 'no PEM private key inside any file under /app')
  })
}
