import { Readable } from 'node:stream'
import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// No Content-Length: the size is only known as the body streams; the sidecar
// must cut it off once it passes the limit, so the mock never gets it whole.
t.test('a chunked body that streams past MAX_BODY_BYTES gets 413 and never arrives whole', async (t) => {
  const mock = await startMock(t)
  const limit = 256 * 1024
  const { url } = await startProxy(t, mock, { MAX_BODY_BYTES: String(limit) })
  const chunk = Buffer.alloc(16 * 1024, 'b')
  const total = 4 * limit
  async function * body () {
    for (let sent = 0; sent < total; sent += chunk.length) {
      yield chunk
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  let status = 0
  let sidecarError: unknown
  try {
    const res = await call(client(t), `${url}/__mock/echo`, { method: 'POST', body: Readable.from(body()) })
    status = res.status
    sidecarError = res.headers['x-sidecar-error']
  } catch (err) {
    // the sidecar may close the connection before the client has sent everything
    t.comment(`client saw ${(err as Error).message}`)
  }
  if (status !== 0) {
    t.equal(status, 413)
    t.equal(sidecarError, 'BODY_TOO_LARGE')
  } else {
    t.fail('the client got no answer at all')
  }
  // the mock may have recorded a truncated body, never the whole one
  await new Promise((resolve) => setTimeout(resolve, 200))
  for (const seen of mock.requests) t.ok(seen.bodyBytes < total, `mock got ${seen.bodyBytes} of ${total} bytes`)
  t.ok(mock.requests.every((seen) => seen.bodyBytes <= limit + chunk.length * 4), 'not much more than the limit was forwarded')
})
