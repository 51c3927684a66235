import { Readable } from 'node:stream'
import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// No Content-Length: the size is only known as the body streams; the sidecar
// must cut it off once it passes the limit, so the upstream never gets it whole.
// The mock records a cut request too (complete: false, the bytes that arrived),
// so the upstream side is asserted, not just the answer.
t.test('a chunked body that streams past MAX_BODY_BYTES gets 413 and the upstream sees it cut near the limit', async (t) => {
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

  // The body had begun to flow upstream before it passed the limit, so the mock
  // records the request once the sidecar's abort reaches it.
  const [seen, ...more] = await mock.whenRecorded(1)
  t.same(more, [], 'one request reached the upstream')
  t.equal(seen?.path, '/__mock/echo')
  t.equal(seen?.complete, false, 'the upstream saw its body cut short, never its end')
  t.ok((seen?.bodyBytes ?? 0) > 0, `some of the body was streamed before the cut (${seen?.bodyBytes})`)
  // The sidecar counts each piece as it writes it and stops at the first one past
  // the limit: at most one read of the application's socket (64 KiB) more.
  const oneRead = 64 * 1024
  t.ok((seen?.bodyBytes ?? Infinity) <= limit + oneRead, `at most MAX_BODY_BYTES + one read reached the upstream (${seen?.bodyBytes} of ${total})`)
})
