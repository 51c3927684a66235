import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

const MiB = 1024 * 1024
const TOTAL = 100 * MiB
const CHUNK = 256 * 1024

/** 100 MiB made on the fly (never held), hashed as it is produced. */
function upload (hash: ReturnType<typeof createHash>): Readable {
  let seed = 1
  return Readable.from((function * () {
    for (let sent = 0; sent < TOTAL; sent += CHUNK) {
      const chunk = Buffer.allocUnsafe(CHUNK)
      for (let i = 0; i < CHUNK; i += 4) { seed = (seed * 1103515245 + 12345) >>> 0; chunk.writeUInt32LE(seed, i) }
      hash.update(chunk)
      yield chunk
    }
  })(), { objectMode: false })
}

for (const framing of ['chunked', 'content-length'] as const) {
  t.test(`a 100 MiB upload (${framing}) streams through intact, memory flat`, async (t) => {
    const mock = await startMock(t)
    const { url } = await startProxy(t, mock, { MAX_BODY_BYTES: String(2 * TOTAL), LOG_LEVEL: 'info' })
    const sent = createHash('sha256')

    // The sidecar runs in this process, beside the client and the mock: RSS is
    // a loose sanity bound (buffering 100 MiB would blow it), not a benchmark.
    globalThis.gc?.()
    const before = process.memoryUsage().rss
    let peak = before
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 20)
    t.teardown(() => clearInterval(sampler))

    const res = await call(client(t), `${url}/__mock/echo`, {
      method: 'POST',
      body: upload(sent),
      headers: framing === 'content-length'
        ? { 'content-type': 'application/octet-stream', 'content-length': String(TOTAL) }
        : { 'content-type': 'application/octet-stream' }
    })
    clearInterval(sampler)
    t.equal(res.status, 200)
    const seen = mock.requests[0]
    t.equal(seen?.bodyBytes, TOTAL, 'every byte arrived')
    t.equal(seen?.bodySha256, sent.digest('hex'), 'byte for byte (sha256)')
    if (framing === 'chunked') t.equal(seen?.headers['transfer-encoding'], 'chunked', 'sent upstream chunked')
    else t.equal(seen?.headers['content-length'], String(TOTAL), 'sent upstream with its Content-Length')
    const growth = (peak - before) / MiB
    t.comment(`rss growth during the upload: ${growth.toFixed(1)} MiB`)
    t.ok(growth < 60, `rss grew ${growth.toFixed(1)} MiB (< 60 MiB) while 100 MiB passed`)
  })
}

t.test('an empty POST body arrives empty', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const res = await call(client(t), `${url}/__mock/echo`, { method: 'POST', body: '' })
  t.equal(res.status, 200)
  t.equal(mock.requests[0]?.bodyBytes, 0)
  t.equal(mock.requests[0]?.bodySha256, createHash('sha256').digest('hex'))
})
