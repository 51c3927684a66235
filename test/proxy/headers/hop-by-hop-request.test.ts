import t from 'tap'
import { startMock, startProxy } from '../../helpers/harness.js'
import { rawExchange, statusOf } from '../../helpers/raw-http.js'

// The application's connection-level headers are for the sidecar only; they
// must not reach Trulioo (and cannot be used to strip what the sidecar adds).
t.test('the app\'s hop-by-hop headers do not reach the upstream', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const { text } = await rawExchange(url, [
    'GET /__mock/echo HTTP/1.1',
    'Host: x',
    'Connection: close, x-app-hop, x-request-id, authorization',
    'Keep-Alive: timeout=99',
    'TE: trailers',
    'Upgrade: websocket',
    'Proxy-Connection: keep-alive',
    'X-App-Hop: secret-ish',
    'X-App-End-To-End: kept',
    '', ''
  ].join('\r\n'))
  t.equal(statusOf(text), 200, text.slice(0, 200))
  const seen = mock.requests[0]?.headers ?? {}
  for (const name of ['keep-alive', 'te', 'upgrade', 'proxy-connection', 'x-app-hop']) {
    t.equal(seen[name], undefined, `${name} dropped`)
  }
  t.not(seen.connection, 'close, x-app-hop, x-request-id, authorization', 'the app\'s Connection is not relayed')
  t.equal(seen['x-app-end-to-end'], 'kept', 'end-to-end headers pass')
  t.ok(seen['x-request-id'], 'listing x-request-id in Connection does not strip the sidecar\'s')
  t.match(String(seen.authorization), /^Basic /, 'listing authorization in Connection does not strip the injected one')
})
