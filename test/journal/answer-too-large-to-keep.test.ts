import t from 'tap'
import { client, startMock, startProxy } from '../helpers/harness.js'
import { post } from '../helpers/journal.js'

t.test('an answer over IDEMPOTENCY_MAX_ANSWER_BYTES reaches its request; a retry gets OUTCOME_UNKNOWN saying it was too large', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { IDEMPOTENCY_MAX_ANSWER_BYTES: '4096' })
  const http = client(t)
  const first = await post(http, `${url}/__mock/download/10000`, 'big-1')
  t.equal(first.status, 200)
  t.equal(Buffer.byteLength(first.text, 'latin1') > 4096, true, 'the whole answer went to the first request')
  const retry = await post(http, `${url}/__mock/download/10000`, 'big-1')
  t.equal(retry.status, 502)
  t.equal(retry.headers['x-sidecar-error'], 'OUTCOME_UNKNOWN')
  t.match(retry.json().error.message, /larger than IDEMPOTENCY_MAX_ANSWER_BYTES \(4096\) and was not kept/)
  t.equal(mock.requests.length, 1)

  const small = await post(http, `${url}/__mock/download/4000`, 'small-1')
  t.equal(small.status, 200)
  const again = await post(http, `${url}/__mock/download/4000`, 'small-1')
  t.equal(again.headers['idempotent-replayed'], 'true', 'an answer within the bound is kept')
  t.equal(again.text, small.text)
})
