import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

t.test('TRACE and other non-REST methods get 405 METHOD_NOT_ALLOWED', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  for (const method of ['TRACE', 'PROPFIND']) {
    const res = await call(client(t), `${url}/__mock/echo`, { method: method as 'GET' })
    t.equal(res.status, 405, method)
    t.equal(res.headers['x-sidecar-error'], 'METHOD_NOT_ALLOWED', method)
    t.match(String(res.headers.allow), /GET/, `${method}: Allow lists what is taken`)
    t.equal(res.json().error.code, 'METHOD_NOT_ALLOWED')
  }
  t.equal(mock.requests.length, 0, 'nothing reached the mock')
})
