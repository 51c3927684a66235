import t from 'tap'
import { client, oauthEnv, startMock, startProxy, waitFor } from '../helpers/harness.js'
import { accessLines, post, VERIFY } from '../helpers/journal.js'
import { openWith } from '../helpers/raw-http.js'

// Issue 18 item 3: a billable call's access line carries `transactionId` and
// `transactionRecordId` from its answer, read as the answer passes. Billable
// means BILLABLE_ROUTES (by default the verify, v3 verifications, Workflow
// Studio submit and KYB search calls); any other call's line never has them,
// even when its answer names ids.

const ANSWER = JSON.stringify({ transactionId: 'reflect-id-1', Record: { transactionRecordId: 'reflect-record-1' } })

function lineOf (lines: Array<Record<string, unknown>>, requestId: string): Record<string, unknown> | undefined {
  return accessLines(lines).find((l) => l.requestId === requestId)
}

t.test('by default: NAPI v1 and v3 verify lines carry the ids their answer named; other calls none', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info', ...oauthEnv(mock) })
  const http = client(t)
  const v1 = await post(http, `${url}${VERIFY}`, undefined)
  const v3 = await post(http, `${url}/v3/verifications/verify`, undefined)
  const reflected = await post(http, `${url}/__mock/reflect`, undefined, { body: ANSWER })
  const patch = await post(http, `${url}/__mock/reflect`, undefined, { body: ANSWER, method: 'PATCH' })
  for (const answer of [v1, v3, reflected, patch]) t.equal(answer.status, 200)
  t.equal(mock.verifications.runs.length, 2)
  const [run1, run3] = mock.verifications.runs
  t.equal(v1.json().TransactionID, run1?.transactionId, 'the answer is the mock\'s run')
  const line1 = lineOf(logs.lines, v1.headers['x-request-id'] as string)
  t.equal(line1?.transactionId, run1?.transactionId)
  t.equal(line1?.transactionRecordId, run1?.transactionRecordId)
  const line3 = lineOf(logs.lines, v3.headers['x-request-id'] as string)
  t.equal(line3?.transactionId, run3?.transactionId, 'v3, after its Bearer token')
  t.equal(line3?.transactionRecordId, run3?.transactionRecordId)
  for (const other of [reflected, patch]) {
    const line = lineOf(logs.lines, other.headers['x-request-id'] as string)
    t.ok(line !== undefined)
    t.notOk('transactionId' in (line ?? {}), 'a call not billable: no ids, although its answer names some')
    t.notOk('transactionRecordId' in (line ?? {}))
  }
})

t.test('BILLABLE_ROUTES replaces the list: the listed calls carry the ids, whatever the casing or chunking of the answer; the default ones no longer', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info', BILLABLE_ROUTES: 'POST /__mock/reflect, patch /__MOCK/Reflect' })
  const http = client(t)
  const cases = [
    { path: '/__mock/reflect', method: 'POST', body: ANSWER, id: 'reflect-id-1', record: 'reflect-record-1' },
    { path: '/__mock/reflect', method: 'PATCH', body: JSON.stringify({ TransactionID: 'P-1', TransactionRecordID: 'P-2' }), id: 'P-1', record: 'P-2' },
    // 7-byte writes: each id arrives split across several chunks
    { path: '/__mock/reflect?chunk=7', method: 'POST', body: JSON.stringify({ Filler: 'f'.repeat(3000), TransactionID: 'split-across-chunks-0123456789', Record: { TransactionRecordID: 'split-record-9876543210' } }), id: 'split-across-chunks-0123456789', record: 'split-record-9876543210' },
    { path: '/__mock/reflect', method: 'POST', body: JSON.stringify({ Only: 'no ids' }), id: undefined, record: undefined },
    { path: '/__mock/reflect', method: 'POST', body: 'not json TransactionID "x"', id: undefined, record: undefined }
  ]
  for (const c of cases) {
    const answer = await post(http, `${url}${c.path}`, undefined, { body: c.body, method: c.method })
    t.equal(answer.status, 200)
    t.equal(answer.text, c.body, 'the answer passes untouched')
    const line = lineOf(logs.lines, answer.headers['x-request-id'] as string)
    t.equal(line?.transactionId, c.id, `${c.method} ${c.path}: transactionId`)
    t.equal(line?.transactionRecordId, c.record, `${c.method} ${c.path}: transactionRecordId`)
  }
  const verify = await post(http, `${url}${VERIFY}`, undefined)
  t.equal(verify.status, 200)
  const line = lineOf(logs.lines, verify.headers['x-request-id'] as string)
  t.notOk('transactionId' in (line ?? {}), 'the verify call is not in this list: no ids')
})

t.test('a keyed billable call: the first line and the replayed one both name the transaction', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info' })
  const http = client(t)
  const first = await post(http, `${url}${VERIFY}`, 'ids-key-1')
  const again = await post(http, `${url}${VERIFY}`, 'ids-key-1')
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.equal(mock.verifications.runs.length, 1, 'ran once')
  const run = mock.verifications.runs[0]
  const firstLine = lineOf(logs.lines, first.headers['x-request-id'] as string)
  const replayLine = lineOf(logs.lines, again.headers['x-request-id'] as string)
  t.equal(firstLine?.transactionId, run?.transactionId)
  t.equal(replayLine?.transactionId, run?.transactionId, 'the replayed line names the transaction too')
  t.equal(replayLine?.transactionRecordId, run?.transactionRecordId)
  t.equal(replayLine?.replayed, true)
  t.equal(typeof replayLine?.idempotencyKeyHash, 'string')
})

t.test('the application leaves mid-answer: the ids that come after it left are still read', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info', BILLABLE_ROUTES: 'POST /__mock/reflect' })
  const body = JSON.stringify({ Head: 'h'.repeat(40), TransactionID: 'after-the-app-left', Record: { TransactionRecordID: 'record-after-too' } })
  // the first 30 bytes, then 400 ms of silence, then the rest (with the ids)
  const socket = openWith(url, `POST /__mock/reflect?chunk=30&pause=400 HTTP/1.1\r\nHost: x\r\nX-Request-Id: mid-1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
  await new Promise<void>((resolve) => socket.once('data', () => resolve()))
  socket.destroy()
  t.ok(await waitFor(() => lineOf(logs.lines, 'mid-1') !== undefined, 5_000))
  const line = lineOf(logs.lines, 'mid-1')
  t.equal(line?.answerLost, true)
  t.equal(line?.transactionId, 'after-the-app-left')
  t.equal(line?.transactionRecordId, 'record-after-too')
})
