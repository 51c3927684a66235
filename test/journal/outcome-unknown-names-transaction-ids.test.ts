import t from 'tap'
import { client, startMock, startProxy } from '../helpers/harness.js'
import { post, VERIFY } from '../helpers/journal.js'

// An answer cut mid-body may have carried Trulioo's ids before the cut: the
// retry's 502 OUTCOME_UNKNOWN names them, so the call can be looked up
// (GET /verifications/v1/transaction/{id}/status). Without ids the message
// says what it always said; an answer too large to keep names them too.

t.test('cut after the ids: the retry\'s OUTCOME_UNKNOWN names both; the mock ran once', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const http = client(t)
  mock.verifications.cut = true
  const first = await post(http, `${url}${VERIFY}`, 'cut-1').catch((err: Error) => err)
  t.ok(first instanceof Error, 'the application saw the answer cut')
  mock.verifications.cut = false
  const retry = await post(http, `${url}${VERIFY}`, 'cut-1')
  t.equal(retry.status, 502)
  t.equal(retry.headers['x-sidecar-error'], 'OUTCOME_UNKNOWN')
  const run = mock.verifications.runs[0]
  const { message } = retry.json().error as { message: string }
  t.match(message, `TransactionID ${run?.transactionId as string}`, 'names the TransactionID')
  t.match(message, `TransactionRecordID ${run?.transactionRecordId as string}`, 'and the TransactionRecordID')
  t.match(message, /outcome is unknown/)
  t.equal(mock.verifications.runs.length, 1, 'the retry did not run it')
})

t.test('timed out before any answer: OUTCOME_UNKNOWN names no id', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { UPSTREAM_TIMEOUT_MS: '300' })
  const http = client(t)
  mock.verifications.delayMs = 1_000
  const first = await post(http, `${url}${VERIFY}`, 'slow-1')
  t.equal(first.headers['x-sidecar-error'], 'UPSTREAM_TIMEOUT')
  const retry = await post(http, `${url}${VERIFY}`, 'slow-1')
  t.equal(retry.headers['x-sidecar-error'], 'OUTCOME_UNKNOWN')
  t.notMatch(retry.json().error.message, /Transaction/)
  t.equal(mock.verifications.runs.length, 1)
})

t.test('an answer too large to keep: the retry is told the ids it carried', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { IDEMPOTENCY_MAX_ANSWER_BYTES: '64' })
  const http = client(t)
  const first = await post(http, `${url}${VERIFY}`, 'big-1')
  t.equal(first.status, 200)
  const retry = await post(http, `${url}${VERIFY}`, 'big-1')
  t.equal(retry.headers['x-sidecar-error'], 'OUTCOME_UNKNOWN')
  const run = mock.verifications.runs[0]
  t.match(retry.json().error.message, `ran; Trulioo's answer named it TransactionID ${run?.transactionId as string}, TransactionRecordID ${run?.transactionRecordId as string}, but its answer was larger`)
  t.equal(mock.verifications.runs.length, 1)
})
