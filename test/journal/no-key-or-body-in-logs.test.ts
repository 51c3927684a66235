import t from 'tap'
import { client, startMock, startProxy } from '../helpers/harness.js'
import { post } from '../helpers/journal.js'

// Every path the journal takes (run, replay, 422, unknown outcome, 409, 400),
// with the log at debug: no line holds the key or the body, and the answer's
// transaction ids only in the access line's two fields for them.
t.test('no key or body in any log line, the answer ids only where documented', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { UPSTREAM_TIMEOUT_MS: '300', IDEMPOTENCY_WAIT_MS: '100', IDEMPOTENCY_REQUIRED_ROUTES: 'POST /__mock/status/' })
  const http = client(t)
  const key = 'SECRET-KEY-q7Zp'
  const body = JSON.stringify({ FirstGivenName: 'BODY-MARKER-Xk2' })
  await post(http, `${url}/verifications/v1/verify`, key, { body })
  await post(http, `${url}/verifications/v1/verify`, key, { body })
  await post(http, `${url}/verifications/v1/verify`, key, { body: '{}' })
  await post(http, `${url}/__mock/hang`, `${key}-2`, { body })
  await post(http, `${url}/__mock/hang`, `${key}-2`, { body })
  const slow = post(http, `${url}/__mock/slow/500`, `${key}-3`, { body })
  await mock.whenRecorded(3)
  await post(http, `${url}/__mock/slow/500`, `${key}-3`, { body })
  await slow
  await post(http, `${url}/__mock/status/200`, undefined, { body })
  await post(http, `${url}/__mock/echo`, `${key} bad`, { body })
  const text = logs.text
  t.ok(logs.lines.length > 8)
  t.notMatch(text, /SECRET-KEY/)
  t.notMatch(text, /BODY-MARKER/)
  // the one billable call's ids: in its access line's two fields, nowhere else
  const run = mock.verifications.runs[0]
  t.equal(mock.verifications.runs.length, 1)
  for (const id of [run?.transactionId, run?.transactionRecordId] as string[]) {
    const holders = logs.lines.filter((l) => JSON.stringify(l).includes(id))
    t.ok(holders.length > 0, 'the ids are on the access lines of the billable call')
    for (const line of holders) {
      t.equal(line.msg, 'request', 'only on access lines')
      const { transactionId, transactionRecordId, ...rest } = line
      t.notOk(JSON.stringify(rest).includes(id), 'and only as transactionId / transactionRecordId')
      t.ok(transactionId === id || transactionRecordId === id)
    }
  }
  t.ok(logs.lines.some((l) => typeof l.idempotencyKeyHash === 'string'))
})
