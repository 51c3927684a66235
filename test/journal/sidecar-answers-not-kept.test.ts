import t from 'tap'
import { client, freePort, startMock, startProxy } from '../helpers/harness.js'
import { post, VERIFY } from '../helpers/journal.js'

// An answer the sidecar made before anything was sent is not the outcome of
// the call: the retry runs, as if the first had never been.
t.test('UPSTREAM_BUSY is not kept: the retry runs', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { UPSTREAM_CONNECTIONS: '1', UPSTREAM_QUEUE_TIMEOUT_MS: '200' })
  const http = client(t)
  const hog = post(http, `${url}/__mock/slow/1000`, undefined)
  await mock.whenRecorded(1)
  const busy = await post(http, `${url}${VERIFY}`, 'busy-1')
  t.equal(busy.status, 503)
  t.equal(busy.headers['x-sidecar-error'], 'UPSTREAM_BUSY')
  t.equal((await hog).status, 200)
  const retry = await post(http, `${url}${VERIFY}`, 'busy-1')
  t.equal(retry.status, 200, 'the retry ran')
  t.equal(retry.headers['idempotent-replayed'], undefined)
  t.equal(mock.requests.filter((r) => r.path === VERIFY).length, 1, 'the verification ran once: the busy one never went out')
  t.equal((await post(http, `${url}${VERIFY}`, 'busy-1')).headers['idempotent-replayed'], 'true', 'and the answer is now kept')
})

t.test('an unreachable upstream is not kept: the retry runs (and is unreachable again, not OUTCOME_UNKNOWN)', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { UPSTREAM_URL: `https://127.0.0.1:${await freePort()}` })
  const http = client(t)
  for (let i = 0; i < 2; i++) {
    const answer = await post(http, `${url}${VERIFY}`, 'unreachable-1')
    t.equal(answer.status, 502)
    t.equal(answer.headers['x-sidecar-error'], 'UPSTREAM_UNREACHABLE')
  }
})

t.test('a waiting retry runs when the first is not kept', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { UPSTREAM_CONNECTIONS: '1', UPSTREAM_QUEUE_TIMEOUT_MS: '500' })
  const http = client(t)
  // the first gives up at 500 ms; the hog is done at 700 ms, within the retry's own 500 ms in the queue
  const hog = post(http, `${url}/__mock/slow/700`, undefined)
  await mock.whenRecorded(1)
  // both queue for the one connection; the first gives up (UPSTREAM_BUSY) and the retry, waiting on it, then runs
  const first = post(http, `${url}${VERIFY}`, 'busy-2')
  await new Promise((resolve) => setTimeout(resolve, 100))
  const retry = post(http, `${url}${VERIFY}`, 'busy-2')
  const refused = await first
  t.equal(refused.status, 503)
  t.equal(refused.headers['x-sidecar-error'], 'UPSTREAM_BUSY')
  t.equal((await hog).status, 200)
  const second = await retry
  t.equal(second.headers['x-sidecar-error'], undefined)
  t.equal(second.status, 200, 'the waiting retry ran once the first was released')
  t.equal(mock.requests.filter((r) => r.path === VERIFY).length, 1)
})
