import { spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { healthcheckTarget, probe, reachableHost } from '../../src/cli/healthcheck-command.js'
import { memoryIo, runCli } from '../helpers/cli.js'
import { BIN } from '../helpers/root.js'

// `trulioo-mtls-sidecar healthcheck`: the image's HEALTHCHECK, so no curl is needed.

async function server (t: Test, handler: http.RequestListener): Promise<number> {
  const s = http.createServer(handler)
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()) }))
  return (s.address() as AddressInfo).port
}

t.test('asks ADMIN_HOST:ADMIN_PORT, with a wildcard address turned into loopback', async (t) => {
  t.same(healthcheckTarget({ env: {} }), { host: '127.0.0.1', port: 9090, path: '/livez' }, 'the defaults')
  t.same(healthcheckTarget({ env: { ADMIN_HOST: '0.0.0.0', ADMIN_PORT: '9191' } }), { host: '127.0.0.1', port: 9191, path: '/livez' })
  t.same(healthcheckTarget({ env: { ADMIN_HOST: '::' }, path: '/readyz' }), { host: '::1', port: 9090, path: '/readyz' })
  t.equal(reachableHost('[::1]'), '::1')
  t.equal(reachableHost('10.1.2.3'), '10.1.2.3')
})

const cases = [
  { name: '200 is healthy', status: 200, ok: true },
  { name: '503 is not', status: 503, ok: false },
  { name: '404 is not', status: 404, ok: false }
]
for (const c of cases) {
  t.test(c.name, async (t) => {
    let asked = ''
    const port = await server(t, (req, res) => { asked = req.url ?? ''; res.writeHead(c.status).end() })
    const result = await probe({ host: '127.0.0.1', port, path: '/readyz' })
    t.equal(result.ok, c.ok)
    t.match(result.line, `answered ${c.status}`)
    t.equal(asked, '/readyz')
  })
}

t.test('nothing listening: not healthy, says why', async (t) => {
  const port = await server(t, () => {})
  const closed = await probe({ host: '127.0.0.1', port: port === 65535 ? 1 : 65535, path: '/livez' })
  t.equal(closed.ok, false)
  t.match(closed.line, /failed: ECONNREFUSED/)
})

t.test('an answer that never comes: not healthy after the timeout', async (t) => {
  const port = await server(t, () => { /* never answers */ })
  const started = Date.now()
  const result = await probe({ host: '127.0.0.1', port, path: '/livez' }, 200)
  t.equal(result.ok, false)
  t.ok(Date.now() - started < 2000, 'gave up in time')
})

t.test('ADMIN_PORT=0 (admin off): not healthy, without asking anything', async (t) => {
  const result = await probe(healthcheckTarget({ env: { ADMIN_PORT: '0' } }))
  t.equal(result.ok, false)
  t.match(result.line, /ADMIN_PORT 0/)
})

t.test('exit code 0 when healthy, 1 when not; ADMIN_HOST/ADMIN_PORT from the environment', async (t) => {
  const port = await server(t, (_req, res) => { res.writeHead(200).end() })
  const healthy = await runCli(memoryIo({ ADMIN_HOST: '0.0.0.0', ADMIN_PORT: String(port) }), ['healthcheck'])
  t.equal(healthy.exitCode, 0)
  t.match(healthy.out(), new RegExp(`healthcheck: http://127\\.0\\.0\\.1:${port}/livez answered 200`))
  const ready = await runCli(memoryIo(), ['healthcheck', '--ready', '--host', '127.0.0.1', '--port', String(port)])
  t.equal(ready.exitCode, 0)
  t.match(ready.out(), '/readyz answered 200')
  const off = await runCli(memoryIo({ ADMIN_PORT: '0' }), ['healthcheck', '--timeout', '500'])
  t.equal(off.exitCode, 1)
  t.match(off.err(), /healthcheck: ADMIN_PORT 0/)
})

t.test('the real binary takes its fast path and exits with the verdict', async (t) => {
  const bin = BIN
  const port = await server(t, (_req, res) => { res.writeHead(200).end() })
  const run = (env: NodeJS.ProcessEnv): Promise<number | null> => new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'healthcheck'], { env: { ...process.env, ...env }, stdio: 'ignore' })
    child.on('exit', (code) => resolve(code))
  })
  t.equal(await run({ ADMIN_HOST: '127.0.0.1', ADMIN_PORT: String(port) }), 0)
  t.equal(await run({ ADMIN_HOST: '127.0.0.1', ADMIN_PORT: '0' }), 1)
})
