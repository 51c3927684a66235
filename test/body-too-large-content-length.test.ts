import t from 'tap'
import { call, client, startMock, startProxy } from './helpers/harness.js'

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
