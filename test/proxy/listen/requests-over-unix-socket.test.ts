import { statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { call, pki, startMock, startProxy, USERNAME, waitFor } from '../../helpers/harness.js'
import { socketClient, socketDir } from '../../helpers/socket-dir.js'

t.test('LISTEN_SOCKET: requests arrive over the socket, with the same guards, access line and identity as on TCP', async (t) => {
  const mock = await startMock(t)
  const path = join(socketDir(t), 'sidecar.sock')
  const { sidecar, url, logs } = await startProxy(t, mock, { LISTEN_SOCKET: path, PROXY_AUTH_TOKEN: 'tok-Wq7' })
  t.equal(url, `unix:${path}`)
  t.ok(statSync(path).isSocket(), 'a socket file at the path')
  t.equal(sidecar.proxy.server.address(), path, 'instead of a TCP port, not as well as one')

  const http = socketClient(t, path)
  const ok = await call(http, 'http://sidecar/connection/v1/testauthentication', { headers: { 'proxy-authorization': 'Bearer tok-Wq7' } })
  t.equal(ok.status, 200)
  t.equal(ok.json(), `Hello ${USERNAME}`, 'the NAPI credentials were injected')
  t.equal(mock.requests.length, 1)
  t.equal(mock.requests[0]?.clientSerial, (await pki()).client.serialNumber.toUpperCase(), 'the mock saw the client certificate')

  const refused = await call(http, 'http://sidecar/connection/v1/testauthentication')
  t.equal(refused.status, 407, 'PROXY_AUTH_TOKEN is enforced on the socket too')
  t.equal(refused.headers['x-sidecar-error'], 'PROXY_AUTH_REQUIRED')
  t.equal(mock.requests.length, 1, 'the refused request never reached the upstream')

  t.ok(await waitFor(() => logs.lines.filter((l) => l.msg === 'request').length === 2), 'one access line per request')
  t.same(logs.lines.filter((l) => l.msg === 'request').map((l) => l.status), [200, 407])

  const metrics = await sidecar.metrics.render()
  t.match(metrics, /trulioo_sidecar_requests_total\{method="GET",status_class="2xx"\} 1/, 'counted in the metrics')
  t.match(metrics, /trulioo_sidecar_requests_total\{method="GET",status_class="4xx"\} 1/)
})

t.test('the socket file gets LISTEN_SOCKET_MODE: 0660 by default, 0600 when asked', async (t) => {
  const mock = await startMock(t)
  const dir = socketDir(t)
  const byDefault = join(dir, 'default.sock')
  await startProxy(t, mock, { LISTEN_SOCKET: byDefault })
  t.equal(statSync(byDefault).mode & 0o777, 0o660)
  const ownerOnly = join(dir, 'owner.sock')
  await startProxy(t, mock, { LISTEN_SOCKET: ownerOnly, LISTEN_SOCKET_MODE: '0600' })
  t.equal(statSync(ownerOnly).mode & 0o777, 0o600)
  // wider than the umask would give: chmod sets exactly the mode asked for
  const everyone = join(dir, 'everyone.sock')
  await startProxy(t, mock, { LISTEN_SOCKET: everyone, LISTEN_SOCKET_MODE: '666' })
  t.equal(statSync(everyone).mode & 0o777, 0o666)
})
