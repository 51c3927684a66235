import t from 'tap'
import { client, oauthEnv, startMock, startProxy } from '../helpers/harness.js'
import { post, VERIFY } from '../helpers/journal.js'

// Issue 18 item 5: the mock's verify calls answer with a fresh TransactionID
// and TransactionRecordID, count each run (so a test can say "ran exactly
// once"), can be told to answer slowly, and to cut the answer after its ids.

const UUID = /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/

t.test('each verify run is counted and answered with fresh ids; slow and cut on demand', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, oauthEnv(mock))
  const http = client(t)
  const a = await post(http, `${url}${VERIFY}`, undefined)
  const b = await post(http, `${url}${VERIFY}`, undefined)
  const v3 = await post(http, `${url}/v3/verifications/verify`, undefined)
  t.equal(mock.verifications.runs.length, 3, 'three runs counted')
  t.same(mock.verifications.runs.map((r) => r.path), [VERIFY, VERIFY, '/v3/verifications/verify'])
  const answers = [a, b, v3].map((res) => res.json() as { TransactionID: string, Record: { TransactionRecordID: string } })
  answers.forEach((answer, i) => {
    const run = mock.verifications.runs[i]
    t.equal(answer.TransactionID, run?.transactionId, `answer ${i} carries its run's TransactionID`)
    t.equal(answer.Record.TransactionRecordID, run?.transactionRecordId, 'and TransactionRecordID')
    t.match(answer.TransactionID, UUID)
    t.match(answer.Record.TransactionRecordID, UUID)
  })
  const ids = mock.verifications.runs.flatMap((r) => [r.transactionId, r.transactionRecordId])
  t.equal(new Set(ids).size, ids.length, 'every id is fresh')

  // keyed: the journal makes a retry a replay, and the count says it ran once
  await post(http, `${url}${VERIFY}`, 'count-1')
  await post(http, `${url}${VERIFY}`, 'count-1')
  t.equal(mock.verifications.runs.length, 4, 'a replay is not a run')

  mock.verifications.delayMs = 400
  const started = Date.now()
  t.equal((await post(http, `${url}${VERIFY}`, undefined)).status, 200)
  t.ok(Date.now() - started >= 400, 'answered after delayMs')
  mock.verifications.delayMs = 0

  mock.verifications.cut = true
  const cut = await post(http, `${url}${VERIFY}`, undefined).catch((err: Error) => err)
  t.ok(cut instanceof Error, 'the answer was cut short')
  t.equal(mock.verifications.runs.length, 6, 'a cut answer\'s run counts')
})
