import t from 'tap'
import { call, client, startMock, startProxy, waitFor } from '../../helpers/harness.js'

// A request that finds every upstream connection busy waits at most
// UPSTREAM_QUEUE_TIMEOUT_MS, then gets 503 UPSTREAM_BUSY; it was never sent.
t.test('with the only connection busy, a second request gets 503 UPSTREAM_BUSY and never reaches the upstream', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { UPSTREAM_CONNECTIONS: '1', UPSTREAM_QUEUE_TIMEOUT_MS: '300' })
  const app = client(t)
  const holding = call(app, `${url}/__mock/slow/2500`)
  // wait until the first request holds the connection
  t.ok(await waitFor(() => mock.stats.connections > 0), 'the first request holds the connection')
  const started = Date.now()
  const busy = await call(app, `${url}/__mock/echo`, { headers: { 'x-request-id': 'waiting' } })
  t.equal(busy.status, 503)
  t.equal(busy.headers['x-sidecar-error'], 'UPSTREAM_BUSY')
  t.match(busy.json().error.message, /UPSTREAM_QUEUE_TIMEOUT_MS/)
  t.ok(Date.now() - started < 2_400, 'answered before the busy connection freed up')
  t.equal((await holding).status, 200, 'the request holding the connection still gets its answer')
  // a request sent after it reaches the mock: the refused one, had it been queued, would have gone first
  t.equal((await call(app, `${url}/__mock/echo`, { headers: { 'x-request-id': 'after' } })).status, 200)
  t.same(mock.requests.filter((r) => r.path === '/__mock/echo').map((r) => r.headers['x-request-id']), ['after'], 'the refused request was never sent')
})
