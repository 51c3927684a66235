import t from 'tap'
import { startMock, startProxy } from '../../helpers/harness.js'
import { headersOf, rawExchange, statusOf } from '../../helpers/raw-http.js'

t.test('CONNECT gets 405 METHOD_NOT_ALLOWED and no tunnel', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const { port } = new URL(mock.url)
  const { text, closedByServer } = await rawExchange(url, `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
  t.equal(statusOf(text), 405, text.slice(0, 200))
  const headers = headersOf(text)
  t.equal(headers['x-sidecar-error'], 'METHOD_NOT_ALLOWED')
  t.match(headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))
  t.equal(body.error.code, 'METHOD_NOT_ALLOWED')
  t.ok(closedByServer, 'the connection is closed, not tunnelled')
  t.equal(mock.stats.connections, 0, 'nothing was opened to the upstream')
})
