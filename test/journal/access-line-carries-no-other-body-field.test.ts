import t from 'tap'
import { client, startMock, startProxy, waitFor } from '../helpers/harness.js'
import { accessLines, post } from '../helpers/journal.js'

// A billable answer is read for its two ids and for nothing else: a sweep of
// answers whose every other value is a sentinel (fields named like the ids,
// ids too long, with spaces, slashes, escapes or non-ASCII, nested, in arrays,
// before and after the ids, whole, in small chunks and cut short) leaves no
// sentinel in any log line, at debug, and only the real ids in the two fields.

const S = 'SENTINEL'

const ANSWERS: Array<{ name: string, answer: unknown, id?: string, record?: string }> = [
  {
    name: 'a verify answer with person data around the ids',
    answer: { Name: `${S}-name`, TransactionID: 'good-id-1', Record: { Address: { Street: `${S}-street` }, TransactionRecordID: 'good-record-1', DatasourceResults: [{ DatasourceFields: [{ FieldName: 'FirstGivenName', Status: `${S}-status` }] }] }, Trailing: `${S}-after` },
    id: 'good-id-1',
    record: 'good-record-1'
  },
  {
    name: 'fields named like the ids',
    answer: { TransactionIDs: [`${S}a`], ParentTransactionID: `${S}b`, transaction_id: `${S}c`, 'Transaction ID': `${S}d`, TransactionRecord: `${S}e`, TransactionRecordIDs: `${S}f`, xTransactionRecordId: `${S}g`, TransactionI: `${S}h` }
  },
  {
    name: 'id values that are not ids',
    answer: { TransactionID: `${S} with a space`, TransactionRecordID: `${S}/slash`, Other: { TransactionID: `${S}${'x'.repeat(200)}` }, More: { TransactionID: `${S}é`, TransactionRecordID: `${S}"quoted"` } }
  },
  {
    name: 'ids as values, keys as values',
    answer: { Kind: 'TransactionID', Value: `${S}-v1`, List: ['TransactionRecordID', `${S}-v2`], Pair: ['TransactionID', ':', `${S}-v3`] }
  },
  {
    name: 'a string that holds a whole JSON object with ids',
    answer: { Raw: JSON.stringify({ TransactionID: `${S}-inner`, TransactionRecordID: `${S}-inner2` }), TransactionID: 'good-id-2' },
    id: 'good-id-2'
  },
  {
    name: 'id fields whose values are objects and numbers',
    answer: { TransactionID: { Value: `${S}-obj` }, TransactionRecordID: [`${S}-arr`], Record: { TransactionRecordID: 12345, Note: `${S}-n` } }
  }
]

t.test('no body value but the two ids reaches a log line', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { LOG_LEVEL: 'debug', BILLABLE_ROUTES: 'POST /__mock/reflect', IDEMPOTENCY_WAIT_MS: '0' })
  const http = client(t)
  let n = 0
  for (const { name, answer, id, record } of ANSWERS) {
    const body = JSON.stringify(answer)
    for (const how of ['', '?chunk=5', `?cut=${body.length - 3}`]) {
      const key = `sweep-${++n}`
      const res = await post(http, `${url}/__mock/reflect${how}`, key, { body }).catch(() => undefined)
      if (how === '') t.equal(res?.text, body, `${name}: the answer passes whole`)
      // a keyed retry (replay, or OUTCOME_UNKNOWN for the cut one): its message and line too
      const retry = await post(http, `${url}/__mock/reflect${how}`, key, { body }).catch(() => undefined)
      if (how.startsWith('?cut')) t.equal(retry?.headers['x-sidecar-error'], 'OUTCOME_UNKNOWN', `${name}: cut, so unknown`)
      t.ok(await waitFor(() => accessLines(logs.lines).length === 2 * n, 3_000))
      const line = accessLines(logs.lines)[2 * n - 2]
      if (!how.startsWith('?cut')) {
        t.equal(line?.transactionId, id, `${name} ${how}: transactionId`)
        t.equal(line?.transactionRecordId, record, `${name} ${how}: transactionRecordId`)
      }
    }
  }
  t.ok(logs.lines.length >= 4 * ANSWERS.length)
  const leaks = logs.raw.filter((line) => line.includes(S))
  t.same(leaks, [], 'no sentinel in any log line')
  for (const line of accessLines(logs.lines)) {
    for (const field of ['transactionId', 'transactionRecordId']) {
      if (field in line) t.match(line[field], /^good-(id|record)-\d$/, `${field} holds only a real id`)
    }
  }
})
