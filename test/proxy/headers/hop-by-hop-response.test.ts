import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'
import { headersOf, rawExchange, statusOf } from '../../helpers/raw-http.js'

// /__mock/echo answers with `Connection: keep-alive, x-mock-hop`,
// `Keep-Alive: timeout=30` and `x-mock-hop: should-not-leak`: those belong to
// the upstream connection and must not reach the application.
t.test('the upstream\'s hop-by-hop headers do not reach the application', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const res = await call(client(t), `${url}/__mock/echo`)
  t.equal(res.status, 200)
  t.equal(res.headers['x-mock-hop'], undefined, 'a header the upstream listed in Connection is removed')
  t.notMatch(String(res.headers['keep-alive'] ?? ''), /timeout=30/, 'the upstream\'s Keep-Alive is not relayed')
  t.notMatch(String(res.headers.connection ?? ''), /x-mock-hop/, 'the upstream\'s Connection is not relayed')
})

t.test('the upstream\'s Connection: keep-alive does not override the app\'s Connection: close', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const { text, closedByServer } = await rawExchange(url, 'GET /__mock/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.equal(statusOf(text), 200)
  const headers = headersOf(text)
  t.equal(headers.connection, 'close', 'the answer says close')
  t.equal(headers['keep-alive'], undefined)
  t.equal(headers['x-mock-hop'], undefined)
  t.ok(closedByServer, 'and the sidecar closed the socket')
})
