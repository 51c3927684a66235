import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import t from 'tap'
import { call, client, pki, startMock, startProxy } from '../../helpers/harness.js'

// An answer that is not valid HTTP is the upstream's fault, not a bug of the
// sidecar: 502 UPSTREAM_BAD_RESPONSE naming what was wrong, and a warn line.
// Each row is what a broken upstream (or a box in front of it) really writes,
// sent by a raw TLS server so that no HTTP library tidies it up first.
const cases: Array<{ name: string, answer: string, says: RegExp }> = [
  { name: 'a malformed status line', answer: 'HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n', says: /invalid status code/i },
  { name: 'no status line at all', answer: 'HELLO THERE\r\n\r\n', says: /expected http/i },
  { name: 'a status code over 599', answer: 'HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n', says: /status code is not between 100 and 599/ },
  { name: 'an invalid byte in a header value', answer: 'HTTP/1.1 200 OK\r\nX-Thing: a\x01b\r\nContent-Length: 0\r\n\r\n', says: /invalid header value char/i },
  { name: 'a space in a header name', answer: 'HTTP/1.1 200 OK\r\nX Thing: b\r\nContent-Length: 0\r\n\r\n', says: /invalid header token/i },
  {
    name: 'both Transfer-Encoding and Content-Length',
    answer: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
    says: /content-length can't be present with transfer-encoding/i
  },
  { name: 'two different Content-Lengths', answer: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', says: /Content-Length is invalid, given twice/ },
  { name: 'a negative Content-Length', answer: 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', says: /invalid character in content-length/i },
  {
    name: 'a header block over the limit',
    answer: 'HTTP/1.1 200 OK\r\n' + `X-Big: ${'a'.repeat(1000)}\r\n`.repeat(40) + 'Content-Length: 0\r\n\r\n',
    says: /header block is larger than the limit/
  }
]

t.test('each malformed upstream answer becomes 502 UPSTREAM_BAD_RESPONSE with a warn line', async (t) => {
  const p = await pki()
  let answer = ''
  const upstream = tls.createServer({ cert: p.server.certPem, key: p.server.keyPem, ca: p.ca.certPem, requestCert: true }, (socket) => {
    socket.on('error', () => {})
    let head = ''
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1')
      if (head.includes('\r\n\r\n')) socket.end(Buffer.from(answer, 'latin1'))
    })
  })
  upstream.listen(0, '127.0.0.1')
  await once(upstream, 'listening')
  t.teardown(() => { upstream.close() })

  const mock = await startMock(t) // for the environment only
  const { url, logs } = await startProxy(t, mock, {
    UPSTREAM_URL: `https://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    TLS_SERVERNAME: 'localhost'
  })
  const app = client(t)

  for (const row of cases) {
    answer = row.answer
    const res = await call(app, `${url}/verifications/v1/verify`, { method: 'POST', body: '{}' })
    t.equal(res.status, 502, `${row.name}: 502`)
    t.equal(res.headers['x-sidecar-error'], 'UPSTREAM_BAD_RESPONSE', `${row.name}: the new code`)
    const body = res.json<{ error: { code: string, message: string, requestId: string } }>()
    t.equal(body.error.code, 'UPSTREAM_BAD_RESPONSE')
    t.match(body.error.message, row.says, `${row.name}: the message says what was wrong (${body.error.message})`)
    const warn = logs.lines.find((line) => line.requestId === body.error.requestId && line.level === 'warn')
    t.equal(warn?.errorCode, 'UPSTREAM_BAD_RESPONSE', `${row.name}: a warn line with the code`)
    t.match(String(warn?.msg), row.says, `${row.name}: which says the same`)
    const access = logs.lines.find((line) => line.requestId === body.error.requestId && line.msg === 'request')
    t.equal(access?.status, 502, `${row.name}: the access line has the status`)
  }
  t.notOk(logs.lines.some((line) => line.errorCode === 'INTERNAL_ERROR'), 'none of them is reported as a fault of the sidecar')
  t.notOk(logs.text.includes('aaaaaaaaaa'), 'the upstream\'s bytes are not quoted in the log')
})
