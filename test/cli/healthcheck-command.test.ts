import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { healthcheck, healthcheckTarget, probe, reachableHost } from '../../src/cli/healthcheck-command.js'

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

t.test('exit code 0 when healthy, 1 when not', async (t) => {
  const port = await server(t, (_req, res) => { res.writeHead(200).end() })
  const out = t.capture(process.stdout, 'write')
  const err = t.capture(process.stderr, 'write')
  const exit = (code: number): never => code as never
  t.equal(await healthcheck({ host: '127.0.0.1', port, timeoutMs: 1000 }, exit), 0)
  t.equal(await healthcheck({ host: '127.0.0.1', port, path: '/readyz', timeoutMs: 1000, env: {} }, exit), 0)
  t.equal(await healthcheck({ host: '127.0.0.1', port: 0, timeoutMs: 1000 }, exit), 1)
  t.match(out().map((c) => c.args[0]).join(''), /healthcheck: http:\/\/127\.0\.0\.1:\d+\/livez answered 200/)
  t.match(err().map((c) => c.args[0]).join(''), /healthcheck: ADMIN_PORT 0/)
})
