import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// reply-from retries a GET answered 503 up to ten times by default; a Trulioo
// call is billable, so the sidecar must send every request exactly once.
for (const method of ['GET', 'POST'] as const) {
  t.test(`a ${method} answered 503 by the upstream is sent once and the 503 returned`, async (t) => {
    const mock = await startMock(t)
    const { url } = await startProxy(t, mock)
    const res = await call(client(t), `${url}/__mock/status/503`, method === 'POST' ? { method, body: '{"x":1}' } : { method })
    t.equal(res.status, 503)
    t.equal(res.headers['x-sidecar-error'], undefined)
    // a retry would follow Retry-After: 0 at once: a later request on the same
    // sidecar reaches the mock after any retry would have
    t.equal((await call(client(t), `${url}/__mock/echo`)).status, 200)
    t.same(mock.requests.map((r) => r.path), ['/__mock/status/503', '/__mock/echo'], 'the 503 was sent exactly once')
  })
}
