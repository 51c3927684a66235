import t from 'tap'
import { MAX_ID_LENGTH, SCAN_BUDGET_BYTES, TransactionIdScanner, type TransactionIdTarget } from '../../src/journal/transaction-ids.js'

// The streaming scanner that reads Trulioo's two transaction ids from a
// billable answer as its chunks pass: every casing, position and chunk split,
// and everything that is not an id (another field, an escaped or unsafe
// value, text beyond the budget, a body that is not JSON) never taken.

const ID = '3f2b9c1e-7a4d-4e0b-9c55-0d6f1a2b3c4d'
const RECORD = 'a1b2c3d4-0000-4111-8222-933344455566'

function scan (chunks: Array<string | Buffer>): TransactionIdTarget & { done: boolean } {
  const target: TransactionIdTarget = { transactionId: undefined, transactionRecordId: undefined }
  const scanner = new TransactionIdScanner(target)
  for (const chunk of chunks) scanner.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return { ...target, done: scanner.done }
}

interface Row { name: string, body: string, id?: string, record?: string }

const ROWS: Row[] = [
  { name: 'NAPI v1: TransactionID first, TransactionRecordID in Record', body: JSON.stringify({ TransactionID: ID, UploadedDt: '2026-01-01', Record: { TransactionRecordID: RECORD, RecordStatus: 'match' } }), id: ID, record: RECORD },
  { name: 'camelCase', body: JSON.stringify({ transactionId: ID, transactionRecordId: RECORD }), id: ID, record: RECORD },
  { name: 'PascalCase with Id', body: JSON.stringify({ TransactionId: ID, TransactionRecordId: RECORD }), id: ID, record: RECORD },
  { name: 'record first, id last', body: JSON.stringify({ a: 1, Record: { TransactionRecordID: RECORD }, TransactionID: ID }), id: ID, record: RECORD },
  { name: 'deeply nested', body: JSON.stringify({ a: { b: [{ c: { TransactionID: ID } }, { d: { e: { transactionRecordId: RECORD } } }] } }), id: ID, record: RECORD },
  { name: 'inside a top-level array', body: JSON.stringify([{ TransactionID: ID }]), id: ID },
  { name: 'white space around the colon', body: `{ "TransactionID"  :\n\t "${ID}" , "TransactionRecordID":"${RECORD}" }`, id: ID, record: RECORD },
  { name: 'a UTF-8 BOM and white space first', body: `\ufeff \n {"TransactionID":"${ID}"}`, id: ID },
  { name: 'only the id', body: JSON.stringify({ TransactionID: ID, Errors: [] }), id: ID },
  { name: 'the first of each wins', body: JSON.stringify({ TransactionID: ID, Results: [{ TransactionRecordID: RECORD }, { TransactionRecordID: 'second-one' }], Again: { TransactionID: 'second-id' } }), id: ID, record: RECORD },
  { name: 'after a big field (within the budget)', body: JSON.stringify({ Filler: 'x'.repeat(40_000), TransactionID: ID }), id: ID },
  { name: 'after many keys that begin like the ones looked for', body: JSON.stringify({ Transaction: 'T1', TransactionI: 'T2', TransactionIDs: ['T3'], TransactionRecord: 'T4', TransactionRecordIDx: 'T5', xTransactionID: 'T6', TransactionID: ID }), id: ID },
  { name: 'escaped quotes inside a value that spells a key and an id', body: JSON.stringify({ Note: `"TransactionID":"${RECORD}"`, TransactionID: ID }), id: ID },
  { name: 'an escaped quote alone in a value', body: '{"Quote":"\\"","TransactionID":"' + ID + '"}', id: ID },
  { name: 'escaped backslash before the closing quote', body: '{"Note":"a\\\\","TransactionID":"' + ID + '"}', id: ID },
  { name: 'a value that spells the key is not a key', body: JSON.stringify({ Kind: 'TransactionID', Other: 'x', List: ['TransactionRecordID', 'y'] }) },
  { name: 'a key spelled with an escape is not taken', body: '{"Transaction\\u0049D":"' + ID + '"}' },
  { name: 'a value with an escape is not an id', body: '{"TransactionID":"ab\\"cd","TransactionRecordID":"' + RECORD + '"}', record: RECORD },
  { name: 'a value with an unsafe character is not an id', body: JSON.stringify({ TransactionID: 'Jane Doe', TransactionRecordID: 'a/b' }) },
  { name: 'a value with non-ASCII is not an id', body: JSON.stringify({ TransactionID: 'idé' }) },
  { name: 'an over-long value is not an id', body: JSON.stringify({ TransactionID: 'a'.repeat(MAX_ID_LENGTH + 1), TransactionRecordID: RECORD }), record: RECORD },
  { name: 'a value of the longest length is', body: JSON.stringify({ TransactionID: 'a'.repeat(MAX_ID_LENGTH) }), id: 'a'.repeat(MAX_ID_LENGTH) },
  { name: 'an empty value is not an id', body: JSON.stringify({ TransactionID: '', TransactionRecordID: RECORD }), record: RECORD },
  { name: 'a number is not taken', body: '{"TransactionID":12345,"TransactionRecordID":"' + RECORD + '"}', record: RECORD },
  { name: 'an object value is not taken, its inside is read', body: JSON.stringify({ TransactionID: { TransactionRecordID: RECORD } }), record: RECORD },
  { name: 'null is not taken', body: '{"TransactionID":null}' },
  { name: 'not JSON: text', body: `TransactionID: ${ID} "TransactionID":"${ID}"` },
  { name: 'not JSON: HTML', body: `<html>"TransactionID":"${ID}"</html>` },
  { name: 'not JSON: a JSON string', body: `"{\\"TransactionID\\":\\"${ID}\\"}"` },
  { name: 'empty', body: '' }
]

t.test('casings, positions, nesting, escapes, values that are not ids, bodies that are not JSON', async (t) => {
  for (const row of ROWS) {
    const found = scan([row.body])
    t.equal(found.transactionId, row.id, `${row.name}: transactionId`)
    t.equal(found.transactionRecordId, row.record, `${row.name}: transactionRecordId`)
  }
})

t.test('every split into two chunks, and byte by byte, finds the same', async (t) => {
  for (const row of ROWS.filter((r) => r.body.length < 2_000)) {
    const bytes = Buffer.from(row.body)
    let wrong = 0
    for (let at = 0; at <= bytes.length; at++) {
      const found = scan([bytes.subarray(0, at), bytes.subarray(at)])
      if (found.transactionId !== row.id || found.transactionRecordId !== row.record) wrong++
    }
    t.equal(wrong, 0, `${row.name}: every split point`)
    const single = scan([...bytes].map((b) => Buffer.from([b])))
    t.same([single.transactionId, single.transactionRecordId], [row.id, row.record], `${row.name}: one byte at a time`)
  }
})

t.test('the budget: ids past SCAN_BUDGET_BYTES are not read, and nothing is read after it', async (t) => {
  const filler = (n: number): string => JSON.stringify({ Filler: 'x'.repeat(n) }).slice(0, -1)
  // the id's closing quote is the last byte of the budget: found
  const head = filler(0) + ',"TransactionID":"' + ID + '"'
  const pad = SCAN_BUDGET_BYTES - Buffer.byteLength(head)
  const justIn = filler(pad) + ',"TransactionID":"' + ID + '"}'
  t.equal(Buffer.byteLength(justIn) - 1, SCAN_BUDGET_BYTES)
  t.equal(scan([justIn]).transactionId, ID, 'an id ending on the budget\'s last byte is read')
  const justOut = filler(pad + 1) + ',"TransactionID":"' + ID + '"}'
  t.equal(scan([justOut]).transactionId, undefined, 'one byte later it is not')
  const far = scan([filler(SCAN_BUDGET_BYTES * 4), ',"TransactionID":"' + ID + '"}'])
  t.equal(far.transactionId, undefined, 'an id after a field larger than the budget is not read')
  t.equal(far.done, true, 'and the scanner has stopped')
  t.equal(scan(Array.from({ length: 20 }, () => 'x'.repeat(8192))).done, true, 'chunk after chunk, it stops at the budget')
})

t.test('the scanner stops once both are found, and at the first byte of a body that is not JSON', async (t) => {
  const both = scan([JSON.stringify({ TransactionID: ID, TransactionRecordID: RECORD })])
  t.equal(both.done, true)
  const target: TransactionIdTarget = { transactionId: undefined, transactionRecordId: undefined }
  const scanner = new TransactionIdScanner(target)
  scanner.feed(Buffer.from(JSON.stringify({ TransactionID: ID, TransactionRecordID: RECORD })))
  scanner.feed(Buffer.from(JSON.stringify({ TransactionID: 'later', TransactionRecordID: 'later' })))
  t.same(target, { transactionId: ID, transactionRecordId: RECORD }, 'nothing after both is read')
  t.equal(scan([Buffer.from([0x1f, 0x8b, 0x08])]).done, true, 'a gzip answer: stopped at once')
  t.equal(scan(['<']).done, true)
})
