import t from 'tap'
import { startMock, startProxy } from '../../helpers/harness.js'
import { headersOf } from '../../helpers/raw-http.js'
import { pipelined } from '../../helpers/pipeline.js'

// Issue 16, item 2: a chunked body whose framing breaks is refused with 400
// BAD_REQUEST in the sidecar's format at once (not after CLIENT_BODY_TIMEOUT_MS,
// set here far beyond the exchange's wait), whatever of it was on its way
// upstream is aborted, and a request pipelined behind it never runs.

const FRAMINGS: Record<string, string> = {
  'a chunk size that overflows': 'FFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n',
  'a 0x-prefixed chunk size': '0x5\r\nhello\r\n0\r\n\r\n',
  'a negative chunk size': '-5\r\nhello\r\n0\r\n\r\n',
  'a bare LF in chunk framing': '5\nhello\r\n0\r\n\r\n',
  'a chunk longer than its size': '2\r\nhello\r\n0\r\n\r\n'
}
const next = 'GET /__mock/echo/pipelined HTTP/1.1\r\nHost: x\r\n\r\n'
const validChunk = (size: number): string => `${size.toString(16)}\r\n${'v'.repeat(size)}\r\n`

// small: read whole before anything is sent, so nothing reaches the upstream;
// large: already streaming upstream when the framing breaks, so it is aborted there
const SIZES = { small: '', large: validChunk(48 * 1024).repeat(3) }

for (const [sizeName, before] of Object.entries(SIZES)) {
  for (const [name, framing] of Object.entries(FRAMINGS)) {
    t.test(`${sizeName} body, ${name}: 400 at once, upstream aborted, nothing after it runs`, async (t) => {
      const mock = await startMock(t)
      const { sidecar, logs } = await startProxy(t, mock, { CLIENT_BODY_TIMEOUT_MS: '120000', LOG_LEVEL: 'info' })
      const head = 'POST /__mock/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
      const out = await pipelined(sidecar, mock, head + before + framing + next, 10_000)
      t.same(out.statuses, [400], 'one answer: 400')
      t.equal(headersOf(out.text)['x-sidecar-error'], 'BAD_REQUEST', 'in the sidecar\'s format')
      t.ok(out.closedByServer, 'the sidecar closed the connection (well before CLIENT_BODY_TIMEOUT_MS)')
      t.notOk(out.forwarded.includes('/__mock/echo/pipelined'), 'the pipelined request was not forwarded')
      const upstream = mock.requests.filter((r) => r.path === '/__mock/echo')
      if (sizeName === 'small') {
        t.same(upstream, [], 'a small body was refused before anything was sent')
      } else {
        await mock.whenRecorded(1)
        t.equal(upstream.length, 1, 'the streamed body had reached the upstream')
        t.equal(upstream[0]?.complete, false, 'and its request was aborted there, never completed')
      }
      const lines = logs.lines.filter((l) => l.msg === 'request')
      t.equal(lines.length, 1, 'one access line')
      t.equal(lines[0]?.errorCode, 'BAD_REQUEST')
    })
  }
}

t.test('Transfer-Encoding other than chunked is refused with 400 at once', async (t) => {
  const mock = await startMock(t)
  const { sidecar } = await startProxy(t, mock, { CLIENT_BODY_TIMEOUT_MS: '120000' })
  const out = await pipelined(sidecar, mock, 'POST /__mock/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' + next, 10_000)
  t.same(out.statuses, [400])
  t.equal(headersOf(out.text)['x-sidecar-error'], 'BAD_REQUEST')
  t.ok(out.closedByServer)
  t.same(out.forwarded, [], 'nothing was forwarded')
})
