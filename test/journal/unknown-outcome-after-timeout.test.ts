import t from 'tap'
import { client, startMock, startProxy } from '../helpers/harness.js'
import { post } from '../helpers/journal.js'

// Sent, then no answer in time: it may have run. The retry is never a second
// run: 502 OUTCOME_UNKNOWN names the first attempt.
t.test('a timeout after the request was sent is kept as unknown: the retry gets OUTCOME_UNKNOWN', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { UPSTREAM_TIMEOUT_MS: '300' })
  const http = client(t)
  const first = await post(http, `${url}/__mock/hang`, 'hang-1')
  t.equal(first.status, 504)
  t.equal(first.headers['x-sidecar-error'], 'UPSTREAM_TIMEOUT')
  for (let i = 0; i < 2; i++) {
    const retry = await post(http, `${url}/__mock/hang`, 'hang-1')
    t.equal(retry.status, 502)
    t.equal(retry.headers['x-sidecar-error'], 'OUTCOME_UNKNOWN')
    const { message } = retry.json().error as { message: string }
    t.match(message, `request id ${first.headers['x-request-id'] as string}`, 'names the first attempt')
    t.match(message, /started \d{4}-\d\d-\d\dT/, 'and its time')
    t.match(message, /new key/)
  }
  t.equal(mock.requests.length, 1, 'the upstream saw it once')
  const other = await post(http, `${url}/__mock/echo`, 'hang-2')
  t.equal(other.status, 200, 'a new key runs')
})
