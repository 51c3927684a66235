import t from 'tap'
import { client, startMock, startProxy } from '../helpers/harness.js'
import { post } from '../helpers/journal.js'

t.test('a retry while the first still runs waits for its answer', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const http = client(t)
  const first = post(http, `${url}/__mock/slow/600`, 'slow-1')
  await mock.whenRecorded(1)
  const retry = await post(http, `${url}/__mock/slow/600`, 'slow-1')
  const answered = await first
  t.equal(answered.status, 200)
  t.equal(retry.status, 200)
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(retry.text, answered.text)
  t.equal(mock.requests.length, 1)
})

t.test('past IDEMPOTENCY_WAIT_MS the retry gets 409 IDEMPOTENCY_IN_FLIGHT with Retry-After, then the answer once there is one', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { IDEMPOTENCY_WAIT_MS: '150' })
  const http = client(t)
  const first = post(http, `${url}/__mock/slow/1200`, 'slow-2')
  await mock.whenRecorded(1)
  const retry = await post(http, `${url}/__mock/slow/1200`, 'slow-2')
  t.equal(retry.status, 409)
  t.equal(retry.headers['x-sidecar-error'], 'IDEMPOTENCY_IN_FLIGHT')
  t.equal(retry.headers['retry-after'], '1')
  const { error } = retry.json<{ error: { message: string, requestId: string } }>()
  t.match(error.message, /still running after IDEMPOTENCY_WAIT_MS \(150 ms\)/)
  t.equal(error.requestId, retry.headers['x-request-id'])
  const answered = await first
  t.match(error.message, answered.headers['x-request-id'] as string, 'names the first request')
  const later = await post(http, `${url}/__mock/slow/1200`, 'slow-2')
  t.equal(later.headers['idempotent-replayed'], 'true')
  t.equal(mock.requests.length, 1)
})

t.test('IDEMPOTENCY_WAIT_MS=0: 409 at once', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { IDEMPOTENCY_WAIT_MS: '0' })
  const http = client(t)
  const first = post(http, `${url}/__mock/slow/500`, 'slow-3')
  await mock.whenRecorded(1)
  const started = Date.now()
  const retry = await post(http, `${url}/__mock/slow/500`, 'slow-3')
  t.equal(retry.status, 409)
  t.ok(Date.now() - started < 400, 'did not wait')
  t.equal((await first).status, 200)
})
