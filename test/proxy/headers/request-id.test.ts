import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('x-request-id is taken from the request, sent upstream and returned', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const res = await call(client(t), `${url}/__mock/echo`, { headers: { 'x-request-id': 'app-req-42.a:b@c' } })
  t.equal(res.headers['x-request-id'], 'app-req-42.a:b@c')
  t.equal(mock.requests[0]?.headers['x-request-id'], 'app-req-42.a:b@c')
})

t.test('x-request-id is generated (a UUID) when absent or unsafe, sent upstream and returned', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const none = await call(client(t), `${url}/__mock/echo`)
  t.match(none.headers['x-request-id'], UUID)
  t.equal(mock.requests[0]?.headers['x-request-id'], none.headers['x-request-id'])

  const unsafe = await call(client(t), `${url}/__mock/echo`, { headers: { 'x-request-id': 'has spaces and "quotes"' } })
  t.match(unsafe.headers['x-request-id'], UUID, 'an unsafe id is replaced')
  t.equal(mock.requests[1]?.headers['x-request-id'], unsafe.headers['x-request-id'])
  t.not(unsafe.headers['x-request-id'], none.headers['x-request-id'], 'a fresh one each time')
})

t.test('a sidecar error carries the same request id in header and body', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const res = await call(client(t), `${url}/__mock/echo`, { method: 'TRACE' as 'GET', headers: { 'x-request-id': 'trace-1' } })
  t.equal(res.status, 405)
  t.equal(res.headers['x-request-id'], 'trace-1')
  t.equal(res.json().error.requestId, 'trace-1')
})
