import t from 'tap'
import { request } from 'undici'
import { client, startMock, startProxy, waitFor } from '../helpers/harness.js'
import { BODY, post } from '../helpers/journal.js'

// The application gives up after its keyed request was sent. Its retry must
// never run the call a second time: it gets the answer if the sidecar saw it
// through (issue 18 item 1), or OUTCOME_UNKNOWN until then.
t.test('the application leaves after sending: the retry is never a second run', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const http = client(t)
  const gone = new AbortController()
  const first = request(`${url}/__mock/slow/600`, {
    dispatcher: http, method: 'POST', body: BODY, signal: gone.signal,
    headers: { 'content-type': 'application/json', 'idempotency-key': 'leaves-1' }
  }).catch(() => undefined)
  await mock.whenRecorded(1)
  gone.abort()
  await first
  await new Promise((resolve) => setTimeout(resolve, 50))
  let retry = await post(http, `${url}/__mock/slow/600`, 'leaves-1')
  t.ok([200, 502].includes(retry.status), `answered ${retry.status}`)
  if (retry.status === 200) t.equal(retry.headers['idempotent-replayed'], 'true')
  else t.equal(retry.headers['x-sidecar-error'], 'OUTCOME_UNKNOWN')
  t.ok(await waitFor(async () => { retry = await post(http, `${url}/__mock/slow/600`, 'leaves-1'); return retry.status !== 409 }, 3_000))
  t.equal(mock.requests.length, 1, 'the upstream ran it once')
})
