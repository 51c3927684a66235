import t from 'tap'
import { client, startMock, startProxy } from '../helpers/harness.js'
import { post } from '../helpers/journal.js'

// Trulioo's 401 (credentials refused) and 429 (rate limited) say it did not run
// the call: the application gets them, and its retry with the same key runs
// (once the credentials are fixed, or after Retry-After) instead of getting the
// refusal back for a day. Every other answer is the call's outcome and is kept.
const ROWS: ReadonlyArray<{ status: number, kept: boolean }> = [
  { status: 401, kept: false },
  { status: 429, kept: false },
  { status: 400, kept: true },
  { status: 403, kept: true },
  { status: 404, kept: true },
  { status: 500, kept: true },
  { status: 503, kept: true }
]

t.test('which of Trulioo\'s answers are kept for the retry', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const http = client(t)
  for (const { status, kept } of ROWS) {
    const path = `/__mock/status/${status}`
    const runs = (): number => mock.requests.filter((r) => r.path === path).length
    const key = `status-${status}`
    const first = await post(http, `${url}${path}`, key)
    t.equal(first.status, status, `${status}: the application gets Trulioo's answer`)
    t.equal(first.headers['x-sidecar-error'], undefined, `${status}: Trulioo's own, not the sidecar's`)
    const retry = await post(http, `${url}${path}`, key)
    t.equal(retry.status, status)
    if (kept) {
      t.equal(retry.headers['idempotent-replayed'], 'true', `${status}: the retry gets the kept answer`)
      t.equal(runs(), 1, `${status}: Trulioo saw it once`)
    } else {
      t.equal(retry.headers['idempotent-replayed'], undefined, `${status}: nothing was kept, the retry ran`)
      t.equal(runs(), 2, `${status}: Trulioo saw the retry`)
    }
  }
})
