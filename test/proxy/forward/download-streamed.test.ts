import { createHash } from 'node:crypto'
import t from 'tap'
import { request } from 'undici'
import { patternBytes } from '../../../src/mock/mock-upstream.js'
import { client, startMock, startProxy } from '../../helpers/harness.js'

const MiB = 1024 * 1024

function expectedSha256 (total: number): string {
  const hash = createHash('sha256')
  for (let offset = 0; offset < total; offset += MiB) hash.update(patternBytes(offset, Math.min(MiB, total - offset)))
  return hash.digest('hex')
}

for (const [name, total, chunked] of [
  ['content-length', 16 * MiB + 7, false],
  ['chunked', 16 * MiB + 7, true],
  ['empty, content-length', 0, false],
  ['empty, chunked', 0, true]
] as const) {
  t.test(`a download (${name}) streams back intact`, async (t) => {
    const mock = await startMock(t)
    const { url } = await startProxy(t, mock)
    const res = await request(`${url}/__mock/download/${total}${chunked ? '?chunked=1' : ''}`, { dispatcher: client(t) })
    t.equal(res.statusCode, 200)
    // framing is hop-by-hop: an empty chunked body may come back as Content-Length: 0
    if (chunked && total > 0) {
      t.equal(res.headers['content-length'], undefined, 'no Content-Length invented')
      t.equal(res.headers['transfer-encoding'], 'chunked', 'streamed chunked')
    } else {
      t.equal(res.headers['content-length'], String(total), 'Content-Length kept')
    }
    const hash = createHash('sha256')
    let bytes = 0
    for await (const chunk of res.body) { bytes += (chunk as Buffer).length; hash.update(chunk as Buffer) }
    t.equal(bytes, total, 'every byte')
    t.equal(hash.digest('hex'), expectedSha256(total), 'byte for byte (sha256)')
  })
}
