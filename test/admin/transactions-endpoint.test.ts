import t from 'tap'
import { TransactionLog } from '../../src/journal/transaction-log.js'
import { AccessRecord } from '../../src/proxy/access-record.js'
import { FakeClock } from '../helpers/fake-clock.js'
import { call, client, freePort, startMock, startProxy, waitFor } from '../helpers/harness.js'
import { accessLines, BODY, post, VERIFY } from '../helpers/journal.js'
import { openWith } from '../helpers/raw-http.js'

// Issue 18 item 3: GET /transactions on the admin listener lists the last
// day's billable calls whose answer was lost or whose outcome is unknown, with
// what an operator needs to find each with Trulioo's transaction lookup
// (request id, time, method and path, status, ids) and nothing else. Calls
// answered, and calls that are not billable, are not listed. Bounded: a day
// on the injected clock, and a cap on the count.

const FIELDS = ['at', 'method', 'outcome', 'path', 'requestId', 'status', 'transactionId', 'transactionRecordId']
const DAY = 86_400_000

t.test('lists the lost and unknown billable calls with their ids, and nothing else; forgets them after a day', async (t) => {
  const mock = await startMock(t)
  const clock = new FakeClock(Date.now())
  const admin = await freePort()
  const { url, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info', ADMIN_PORT: String(admin), UPSTREAM_TIMEOUT_MS: '500' }, { clock })
  const http = client(t)
  const transactions = async (): Promise<{ since: string, dropped: number, calls: Array<Record<string, unknown>> }> => (await call(http, `http://127.0.0.1:${admin}/transactions`)).json()
  const lineFor = (id: string): boolean => accessLines(logs.lines).some((l) => l.requestId === id)

  // answered: not listed
  t.equal((await post(http, `${url}${VERIFY}?answered=1`, undefined)).status, 200)
  // lost: the application leaves while the verification runs; the answer is seen through
  mock.verifications.delayMs = 300
  const socket = openWith(url, `POST ${VERIFY} HTTP/1.1\r\nHost: x\r\nX-Request-Id: lost-1\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`)
  t.ok(await waitFor(() => mock.verifications.runs.length === 2))
  socket.destroy()
  t.ok(await waitFor(() => lineFor('lost-1'), 5_000))
  // unknown, with ids: the answer is cut after them
  mock.verifications.delayMs = 0
  mock.verifications.cut = true
  await post(http, `${url}${VERIFY}`, undefined, { headers: { 'x-request-id': 'cut-1' } }).catch(() => undefined)
  mock.verifications.cut = false
  t.ok(await waitFor(() => lineFor('cut-1')))
  // unknown, without ids: timed out
  mock.verifications.delayMs = 1_000
  t.equal((await post(http, `${url}${VERIFY}?x=secret-query`, undefined, { headers: { 'x-request-id': 'timeout-1' } })).status, 504)
  mock.verifications.delayMs = 0
  // not billable: lost, and timed out
  const other = openWith(url, 'POST /__mock/late/200 HTTP/1.1\r\nHost: x\r\nX-Request-Id: other-lost\r\nContent-Length: 2\r\n\r\n{}')
  t.ok(await waitFor(() => mock.requests.some((r) => r.path === '/__mock/late/200')))
  other.destroy()
  t.equal((await post(http, `${url}/__mock/hang`, undefined, { headers: { 'x-request-id': 'other-hang' } })).status, 504)
  t.ok(await waitFor(() => lineFor('other-lost'), 5_000))

  const runs = mock.verifications.runs
  const listing = await transactions()
  t.same(listing.calls.map((c) => c.requestId), ['lost-1', 'cut-1', 'timeout-1'], 'the lost and unknown billable calls, in order; not the answered one, not the others')
  const [lost, cut, timeout] = listing.calls
  t.same(lost, { requestId: 'lost-1', at: lost?.at, method: 'POST', path: VERIFY, outcome: 'answer-lost', status: 200, transactionId: runs[1]?.transactionId, transactionRecordId: runs[1]?.transactionRecordId })
  t.same(cut, { requestId: 'cut-1', at: cut?.at, method: 'POST', path: VERIFY, outcome: 'unknown', status: 200, transactionId: runs[2]?.transactionId, transactionRecordId: runs[2]?.transactionRecordId })
  t.same(timeout, { requestId: 'timeout-1', at: timeout?.at, method: 'POST', path: VERIFY, outcome: 'unknown', status: null, transactionId: null, transactionRecordId: null }, 'no query string')
  for (const entry of listing.calls) {
    t.same(Object.keys(entry).sort(), FIELDS, 'these fields and no other')
    const at = Date.parse(entry.at as string)
    t.ok(at <= clock.now() && at > clock.now() - 10_000, 'the time is the injected clock\'s')
  }
  t.equal(listing.since, new Date(clock.now() - DAY).toISOString())
  t.equal(listing.dropped, 0)
  t.notMatch(JSON.stringify(listing), /Jane-Journal-Body|secret-query/, 'no body, no query string')

  await clock.advance(DAY - 60_000)
  t.equal((await transactions()).calls.length, 3, 'still there within the day')
  await clock.advance(60_000)
  t.same((await transactions()).calls, [], 'gone a day later')
})

function record (id: string, fate: 'lost' | 'unknown' | 'answered'): AccessRecord {
  const r = new AccessRecord(id, 'POST', VERIFY, undefined)
  r.billable = true
  r.answerLost = fate === 'lost'
  r.outcomeUnknown = fate === 'unknown'
  r.transactionId = `tx-${id}`
  return r
}

t.test('the list is capped: the oldest go first and are counted', async (t) => {
  const clock = new FakeClock()
  const log = new TransactionLog(clock, 3)
  for (let i = 1; i <= 5; i++) {
    log.observe(record(`r${i}`, i % 2 === 0 ? 'lost' : 'unknown'), 10)
    log.observe(record(`answered${i}`, 'answered'), 10)
    await clock.advance(1_000)
  }
  const listing = log.list()
  t.same(listing.calls.map((c) => c.requestId), ['r3', 'r4', 'r5'], 'the newest three')
  t.equal(listing.dropped, 2, 'the two dropped are counted')
  t.same(listing.calls.map((c) => c.outcome), ['unknown', 'answer-lost', 'unknown'])
  t.equal(listing.calls[0]?.at, new Date(Date.UTC(2026, 0, 1) + 2_000 - 10).toISOString(), 'at: when the request arrived, on the clock')
})

t.test('a day on the clock: each entry leaves when it turns a day old, the cap counts only what is left', async (t) => {
  const clock = new FakeClock()
  const log = new TransactionLog(clock, 2)
  log.observe(record('early', 'lost'), 0)
  await clock.advance(DAY / 2)
  log.observe(record('later', 'unknown'), 0)
  await clock.advance(DAY / 2 - 1)
  t.same(log.list().calls.map((c) => c.requestId), ['early', 'later'])
  await clock.advance(1)
  t.same(log.list().calls.map((c) => c.requestId), ['later'], 'the first is a day old')
  log.observe(record('third', 'lost'), 0)
  t.same(log.list().calls.map((c) => c.requestId), ['later', 'third'])
  t.equal(log.list().dropped, 0, 'an entry that aged out is not a drop')
  await clock.advance(DAY)
  t.same(log.list().calls, [])
})

t.test('a long call that ended after a short one leaves when it turns a day old, counted from its start', async (t) => {
  const clock = new FakeClock()
  const log = new TransactionLog(clock)
  log.observe(record('short', 'lost'), 0)
  // ended now, after two minutes: it arrived before the short one, though listed after it
  log.observe(record('long', 'unknown'), 120_000)
  t.same(log.list().calls.map((c) => c.requestId), ['short', 'long'])
  await clock.advance(DAY - 60_000)
  t.same(log.list().calls.map((c) => c.requestId), ['short'], 'the long one arrived more than a day ago')
})
