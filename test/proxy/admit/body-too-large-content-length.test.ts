import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'
import { headersOf, rawExchange, statusOf } from '../../helpers/raw-http.js'

t.test('a Content-Length over MAX_BODY_BYTES gets 413 BODY_TOO_LARGE', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { MAX_BODY_BYTES: '1024' })
  const res = await call(client(t), `${url}/verifications/v1/verify`, {
    method: 'POST', body: Buffer.alloc(1025, 'a'), headers: { 'content-type': 'application/json' }
  })
  t.equal(res.status, 413)
  t.equal(res.headers['x-sidecar-error'], 'BODY_TOO_LARGE')
  t.equal(res.json().error.code, 'BODY_TOO_LARGE')
  t.equal(mock.requests.length, 0, 'nothing reached the mock')

  const fits = await call(client(t), `${url}/__mock/echo`, { method: 'POST', body: Buffer.alloc(1024, 'a') })
  t.equal(fits.status, 200, 'exactly MAX_BODY_BYTES is fine')
  t.equal(mock.requests[0]?.bodyBytes, 1024)
})

t.test('after a 413 the connection is closed, so the unread body is never read as a request', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { MAX_BODY_BYTES: '64' })
  // the body is itself a request: were it parsed after the 413, the mock would see it
  const inner = 'GET /__mock/echo?smuggled=1 HTTP/1.1\r\nHost: x\r\n\r\n'
  const body = inner + ' '.repeat(100)
  const { text, closedByServer } = await rawExchange(url, `POST /__mock/echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 3_000)
  t.equal(statusOf(text), 413)
  t.equal(headersOf(text).connection, 'close', 'the 413 says close')
  t.equal(text.match(/HTTP\/1\.1 \d{3}/g)?.length, 1, 'one answer only')
  t.ok(closedByServer, 'the sidecar closed the connection')
  t.equal(mock.requests.length, 0, 'nothing reached the mock')
})
