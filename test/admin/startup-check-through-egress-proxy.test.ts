import t from 'tap'
import { call, client, freePort, startMock, startProxy, waitFor } from '../helpers/harness.js'
import { startConnectProxy } from '../helpers/connect-proxy.js'

t.test('STARTUP_CHECK goes through the egress proxy, and a refusing proxy keeps the sidecar not ready, saying so', async (t) => {
  const mock = await startMock(t)
  const refusing = await startConnectProxy(t, { refuseWith: 403 })
  const { sidecar, logs } = await startProxy(t, mock, { STARTUP_CHECK: 'true', HTTPS_PROXY: refusing.url, ADMIN_PORT: String(await freePort()) })
  t.ok(await waitFor(() => logs.lines.some((l) => /start-up check failed/.test(String(l.msg)))))
  const line = logs.lines.find((l) => /start-up check failed/.test(String(l.msg)))
  t.equal(line?.refused, 'egress-proxy')
  t.match(line?.msg, /the egress proxy failed: the egress proxy .* refused CONNECT .* HTTP 403/)
  t.equal((await call(client(t), `${sidecar.adminUrl as string}/readyz`)).status, 503)
  t.equal(mock.requests.length, 0)

  const good = await startConnectProxy(t)
  const ok = await startProxy(t, mock, { STARTUP_CHECK: 'true', HTTPS_PROXY: good.url, ADMIN_PORT: String(await freePort()) })
  t.ok(await waitFor(async () => (await call(client(t), `${ok.sidecar.adminUrl as string}/readyz`)).status === 200), 'ready once the check passed')
  t.same(good.connects.map((c) => c.target), [`127.0.0.1:${mock.port}`], 'the check\'s call took the tunnel')
  t.equal(mock.requests[0]?.path, '/connection/v1/testauthentication')
})
