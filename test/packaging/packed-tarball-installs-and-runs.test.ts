import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { freePort } from '../helpers/harness.js'
import { ROOT } from '../helpers/root.js'

// What a stranger gets from the registry: `npm pack` from a tree with no
// dist/ (prepack builds it), the tarball installed into an empty folder far
// from the source tree, then `npx trulioo-mtls-sidecar --version` and the
// demo's first call from that folder. Dependencies come from the npm cache
// (`--prefer-offline`), or the registry when the cache lacks one.
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string, version: string }

/** The environment without what `npm test` exports to its children (npm_config_*, npm_lifecycle_*). */
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)))

function exec (file: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

function get (url: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    }).on('error', reject)
  })
}

const work = mkdtempSync(join(tmpdir(), 'tmsc-pack-'))
t.teardown(() => { rmSync(work, { recursive: true, force: true }) })

t.test('npm pack builds dist/ itself and ships only what runs', { timeout: 240_000 }, async (t) => {
  // a copy of the files a clean clone has, without dist/ (node_modules linked: tsc needs it)
  const tree = join(work, 'tree')
  for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'bin', 'scripts', 'README.md', 'docs', 'LICENSE', 'CHANGELOG.md', 'SECURITY.md']) {
    cpSync(join(ROOT, entry), join(tree, entry), { recursive: true })
  }
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir')
  const packed = await exec('npm', ['pack', '--json', '--pack-destination', work], tree)
  t.equal(packed.code, 0, packed.stderr)
  const [report] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string, files: Array<{ path: string }> }>
  const files = report!.files.map((f) => f.path).sort()
  t.ok(files.includes('dist/cli/main.js'), 'dist/ was built by prepack')
  t.ok(files.includes('dist/bundle/main.js'), 'with the bundle the bin runs')
  for (const name of ['LICENSE', 'README.md', 'docs/configuration.md', 'CHANGELOG.md', 'SECURITY.md', 'package.json', 'bin/trulioo-mtls-sidecar.js']) t.ok(files.includes(name), name)
  t.same(files.filter((f) => !/^(dist\/.*\.js|bin\/[^/]+\.js|docs\/[^/]+\.md|LICENSE|README\.md|CHANGELOG\.md|SECURITY\.md|package\.json)$/.test(f)), [], 'nothing else but the docs the README links to: no sources, tests, maps or deploy files')
  t.same(readdirSync(work).filter((f) => f.endsWith('.tgz')), [`${pkg.name}-${pkg.version}.tgz`])
})

t.test('installed from the tarball into an empty folder, it runs', { timeout: 300_000 }, async (t) => {
  const tarball = join(work, `${pkg.name}-${pkg.version}.tgz`)
  const app = mkdtempSync(join(tmpdir(), 'tmsc-install-'))
  t.teardown(() => { rmSync(app, { recursive: true, force: true }) })
  const installed = await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=dev', tarball], app, 240_000)
  t.equal(installed.code, 0, installed.stderr)
  const bin = realpathSync(join(app, 'node_modules', '.bin', pkg.name))
  t.notOk(bin.startsWith(ROOT), `the binary is the installed copy (${bin})`)

  const version = await exec('npx', [pkg.name, '--version'], app, 60_000)
  t.equal(version.code, 0, version.stderr)
  t.equal(version.stdout.trim(), pkg.version, 'npx trulioo-mtls-sidecar --version')

  const [port, adminPort] = [await freePort(), await freePort()]
  const demo: ChildProcess = spawn(join(app, 'node_modules', '.bin', pkg.name), ['demo', '--port', String(port), '--admin-port', String(adminPort)], {
    cwd: app, env, stdio: ['ignore', 'ignore', 'pipe']
  })
  const exited = new Promise<number | string>((resolve) => demo.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  t.teardown(async () => { if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL'); await exited })
  let stderr = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start: ${stderr}`)), 60_000)
    demo.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString()
      if (stderr.includes('Demo running')) { clearTimeout(timer); resolve() }
    })
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`the demo exited (${code}): ${stderr}`)) })
  })
  const res = await get(`http://127.0.0.1:${port}/connection/v1/testauthentication`)
  t.equal(res.status, 200)
  t.equal(res.body, '"Hello demo-user"', 'the mock Trulioo answered through the installed sidecar')
  demo.kill('SIGTERM')
  t.equal(await exited, 0, 'and it stops cleanly')
})
