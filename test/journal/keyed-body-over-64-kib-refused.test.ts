import t from 'tap'
import { client, startMock, startProxy } from '../helpers/harness.js'
import { post, VERIFY } from '../helpers/journal.js'

// A body over 64 KiB streams upstream as it arrives, so its hash is not known
// before it is sent: a keyed request that large is refused, not half-protected.
t.test('a keyed POST over 64 KiB gets 413 and is not sent; without the key it streams as before', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const http = client(t)
  const body = Buffer.alloc(70 * 1024, 0x61)
  const refused = await post(http, `${url}${VERIFY}`, 'large-1', { body })
  t.equal(refused.status, 413)
  t.equal(refused.headers['x-sidecar-error'], 'BODY_TOO_LARGE')
  t.match(refused.json().error.message, /Idempotency-Key may have a body of at most 65536 bytes/)
  t.equal(mock.requests.length, 0)
  t.equal((await post(http, `${url}/__mock/echo`, undefined, { body })).status, 200)
  t.equal(mock.requests.length, 1)
  t.equal((await post(http, `${url}/__mock/echo`, 'large-2', { body: Buffer.alloc(64 * 1024, 0x62) })).status, 200, '64 KiB exactly is kept')
})
