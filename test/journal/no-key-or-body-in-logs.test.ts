import t from 'tap'
import { client, startMock, startProxy } from '../helpers/harness.js'
import { post } from '../helpers/journal.js'

// Every path the journal takes (run, replay, 422, unknown outcome, 409, 400),
// with the log at debug: no line holds the key, the body or an id from the answer.
t.test('no key, body or answer id in any log line', async (t) => {
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
  t.notMatch(text, /00000000-0000-4000-8000-00000000000/, 'no transaction id from the answer')
  t.ok(logs.lines.some((l) => typeof l.idempotencyKeyHash === 'string'))
})
