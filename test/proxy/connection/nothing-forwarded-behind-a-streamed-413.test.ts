import t from 'tap'
import { startMock, startProxy } from '../../helpers/harness.js'
import { pipelined } from '../../helpers/pipeline.js'

// Issue 16, item 3: a chunked body whose size is only known as it arrives
// gets 413 once it passes MAX_BODY_BYTES; a request pipelined behind it is
// parsed as soon as that body is, but must never be forwarded (the answer
// closes the connection; the Content-Length case is refused before reading).
const next = 'GET /__mock/echo/pipelined HTTP/1.1\r\nHost: x\r\n\r\n'
const chunked = (total: number, chunk: number): string => {
  let out = ''
  for (let sent = 0; sent < total; sent += chunk) out += `${chunk.toString(16)}\r\n${'c'.repeat(chunk)}\r\n`
  return `${out}0\r\n\r\n`
}
const CASES = [
  // read whole before forwarding (under 64 KiB): refused before anything is sent
  { name: 'a small limit, the body read before forwarding', limit: 4096, body: chunked(8192, 1024) },
  // streaming upstream when it passes the limit: cut there. Just over the limit,
  // so that the bytes that pass it and the pipelined heads arrive in one read,
  // parsed before the upstream side has counted them.
  { name: 'a large limit, the body streaming upstream', limit: 100 * 1024, body: chunked(108 * 1024, 4 * 1024) }
]
for (const c of CASES) {
  t.test(`${c.name}: 413, and the request pipelined behind it never runs`, async (t) => {
    const mock = await startMock(t)
    const { sidecar } = await startProxy(t, mock, { MAX_BODY_BYTES: String(c.limit), LOG_LEVEL: 'info' })
    const head = 'POST /__mock/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
    const out = await pipelined(sidecar, mock, head + c.body + next + next, 10_000)
    t.same(out.statuses, [413], 'one answer, 413')
    t.ok(out.closedByServer, 'then the connection closes')
    t.notOk(out.forwarded.includes('/__mock/echo/pipelined'), 'the pipelined requests were not forwarded')
    t.notOk(mock.requests.some((r) => r.path === '/__mock/echo' && r.complete), 'the oversized body never arrived whole')
  })
}

t.test('a body under the limit: the requests pipelined behind it run, in order', async (t) => {
  const mock = await startMock(t)
  const { sidecar } = await startProxy(t, mock, { MAX_BODY_BYTES: String(100 * 1024) })
  const head = 'POST /__mock/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
  const out = await pipelined(sidecar, mock, head + chunked(80 * 1024, 16 * 1024) + next + next.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'), 10_000)
  t.same(out.statuses, [200, 200, 200], 'all three answered')
  t.same(out.forwarded.slice().sort(), ['/__mock/echo', '/__mock/echo/pipelined', '/__mock/echo/pipelined'])
})
