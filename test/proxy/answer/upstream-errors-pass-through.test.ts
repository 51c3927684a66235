import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// Trulioo's own 4xx and 5xx are answers, not sidecar errors: status and body
// reach the application untouched, without x-sidecar-error.
t.test('upstream 4xx and 5xx pass through untouched', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  for (const status of [400, 401, 404, 418, 422, 429, 500, 502, 503, 504]) {
    const res = await call(client(t), `${url}/__mock/status/${status}`)
    t.equal(res.status, status, `status ${status}`)
    t.same(res.json(), { status, from: 'mock' }, `${status}: body untouched`)
    t.equal(res.headers['x-sidecar-error'], undefined, `${status}: not marked as a sidecar error`)
    t.equal(res.headers['retry-after'], '0', `${status}: upstream headers kept`)
  }
  const missing = await call(client(t), `${url}/no/such/route`)
  t.equal(missing.status, 404)
  t.match(missing.json().Message, /No HTTP resource/)
})
