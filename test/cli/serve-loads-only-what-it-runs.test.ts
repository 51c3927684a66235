import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { baseEnv, call, client, pki, startMock } from '../helpers/harness.js'
import { portOf, spawnSidecar } from '../helpers/spawn-sidecar.js'
import { ROOT } from '../helpers/root.js'

// `serve` pays at start-up and in memory for every module it loads: the CSR
// and certificate-building libraries, `check`, `demo` and the mock are loaded
// only by the commands that run them.
t.test('a started serve, having proxied a request, has loaded no CSR, PKI, check or mock module', async (t) => {
  const mock = await startMock(t)
  const file = (await pki()).write('loads.txt', '')
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LOG_LEVEL: 'info', RECORD_LOADS_FILE: file }, {
    nodeArgs: ['--import', join(ROOT, '.build', 'test', 'helpers', 'record-loads.js')]
  })
  const port = portOf(await run.waitForLine(/proxy listening on/))
  const answer = await call(client(t), `http://127.0.0.1:${port}/connection/v1/testauthentication`)
  t.equal(answer.status, 200, 'the sidecar served a request')
  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0)

  // the bin runs the bundle (scripts/bundle.mjs): what a loaded chunk holds is in its metafile
  const meta = JSON.parse(readFileSync(join(ROOT, 'dist', 'bundle', 'meta.json'), 'utf8')) as {
    inputs: Record<string, { imports: Array<{ path: string }> }>
    outputs: Record<string, { inputs: Record<string, unknown> }>
  }
  const urls = readFileSync(file, 'utf8').split('\n').filter((url) => url !== '')
  const loaded = urls.flatMap((url) => {
    const at = url.indexOf('/dist/bundle/')
    if (at < 0) return [url]
    const output = meta.outputs[url.slice(at + 1)]
    return output === undefined ? [url] : [url, ...Object.keys(output.inputs)]
  })
  t.ok(urls.some((url) => url.endsWith('/dist/bundle/main.js')), 'serve ran from the bundle')
  // the recorder works: what serve does run is in the list
  for (const used of ['dist/cli/serve-command.js', 'dist/proxy/proxy-app.js', 'dist/identity/load-identity.js', 'node_modules/fastify/', 'node_modules/undici/']) {
    t.ok(loaded.some((url) => url.includes(used)), `loaded ${used}`)
  }
  // ioredis and the Redis store: only with IDEMPOTENCY_STORE=redis://…
  for (const unused of ['env-schema', '@peculiar/x509', 'reflect-metadata', 'node-forge', 'dist/csr/', 'dist/mock/', 'dist/check/', 'dist/cli/csr-run.js', 'dist/cli/demo-command.js', 'node_modules/ioredis/', 'dist/journal/redis-store.js', 'dist/journal/sealed-entry.js']) {
    t.same(loaded.filter((url) => url.includes(unused)), [], `did not load ${unused}`)
  }

  // The configuration is checked by code generated at build time
  // (src/config/gen-env-validator.ts): nothing of ours brings in ajv's
  // compiler, only its runtime helpers. Fastify's validator and serializer
  // compilers, which import it, are still in the bundle (Fastify requires them
  // when it is given no compilers of its own), hence a check on who imports
  // it; that serve never runs them is shown module by module in
  // test/proxy/forward/serve-compiles-no-schemas.test.ts.
  t.ok(loaded.includes('dist/config/env-validator.js'), 'loaded the generated validator')
  const compiler = /^node_modules\/ajv\/dist\/(?!runtime\/)/
  const bringers = Object.entries(meta.inputs)
    .filter(([path, input]) => loaded.includes(path) && !path.startsWith('node_modules/ajv/') && input.imports.some((i) => compiler.test(i.path)))
    .map(([path]) => path)
  t.same(bringers.filter((path) => !/^node_modules\/(@fastify\/ajv-compiler|fast-json-stringify|ajv-formats)\//.test(path)), [],
    'only Fastify\'s own compilers import ajv\'s compiler')
})
