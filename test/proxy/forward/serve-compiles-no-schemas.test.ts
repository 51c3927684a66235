import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { baseEnv, call, client, freePort, pki, startMock } from '../../helpers/harness.js'
import { ROOT } from '../../helpers/root.js'
import { portOf, spawnSidecar } from '../../helpers/spawn-sidecar.js'

// Neither listener has a route schema, so neither loads a schema compiler:
// both apps are given compilers that refuse (src/no-route-schemas.ts), and
// Fastify then loads neither ajv nor fast-json-stringify's compiler. Run
// from tsc's output, module by module, as the bundle would hide which of its
// parts were loaded.
t.test('a started serve, having proxied a request and answered /metrics, loaded no schema compiler', async (t) => {
  const mock = await startMock(t)
  const file = (await pki()).write('cjs-loads.txt', '')
  const adminPort = await freePort()
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LOG_LEVEL: 'info', ADMIN_PORT: String(adminPort), RECORD_CJS_FILE: file }, {
    nodeArgs: ['--import', join(ROOT, '.build', 'test', 'helpers', 'record-cjs-on-exit.js')],
    script: join(ROOT, '.build', 'test', 'helpers', 'serve-unbundled.js')
  })
  const port = portOf(await run.waitForLine(/proxy listening on/))
  await run.waitForLine(/admin listening on/)
  const http = client(t)
  t.equal((await call(http, `http://127.0.0.1:${port}/connection/v1/testauthentication`)).status, 200, 'the proxy served a request')
  t.equal((await call(http, `http://127.0.0.1:${adminPort}/metrics`)).status, 200, 'the admin listener answered')
  t.equal((await call(http, `http://127.0.0.1:${adminPort}/status`)).status, 200)
  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0)

  const modules = readFileSync(file, 'utf8').split('\n')
  t.ok(modules.some((path) => path.includes('/node_modules/fastify/fastify.js')), 'the recorder saw Fastify')
  t.ok(modules.some((path) => path.includes('/node_modules/undici/')), 'and undici')
  for (const compiler of ['/node_modules/@fastify/ajv-compiler/', '/node_modules/@fastify/fast-json-stringify-compiler/', '/node_modules/ajv/dist/core.js', '/node_modules/ajv/dist/compile/', '/node_modules/fast-json-stringify/index.js']) {
    t.same(modules.filter((path) => path.includes(compiler)), [], `did not load ${compiler}`)
  }
})
