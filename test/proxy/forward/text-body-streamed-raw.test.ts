import { createHash } from 'node:crypto'
import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// Fastify parses text/plain itself (as UTF-8, up to 1 MiB) unless told not
// to: every content type must stream through as raw bytes.
for (const contentType of ['text/plain; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
  t.test(`a 2 MiB ${contentType} body with non-UTF-8 bytes passes byte for byte`, async (t) => {
    const mock = await startMock(t)
    const { url } = await startProxy(t, mock)
    const body = Buffer.alloc(2 * 1024 * 1024)
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + 0xe9) % 256
    const res = await call(client(t), `${url}/__mock/echo`, { method: 'POST', body, headers: { 'content-type': contentType } })
    t.equal(res.status, 200, res.text.slice(0, 200))
    t.equal(res.json().bodyBytes, body.length)
    t.equal(res.json().bodySha256, createHash('sha256').update(body).digest('hex'))
  })
}
