import { once } from 'node:events'
import net from 'node:net'
import t from 'tap'
import { startMock, startProxy } from '../../helpers/harness.js'

// A verification is billable: an upload the application abandons halfway must
// never reach the upstream as a complete (truncated) request, and the log must
// not blame the upstream for it.
for (const framing of ['chunked', 'content-length'] as const) {
  t.test(`an upload abandoned by the application (${framing}) never completes upstream`, async (t) => {
    const mock = await startMock(t)
    const { url, logs } = await startProxy(t, mock)
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1')
    await once(socket, 'connect')
    // over 64 KiB: a smaller body is read whole before anything goes upstream
    const part = Buffer.alloc(70_000, 'a')
    socket.write(`POST /__mock/echo HTTP/1.1\r\nHost: x\r\nX-Request-Id: abandoned-1\r\n${framing === 'chunked' ? 'Transfer-Encoding: chunked' : 'Content-Length: 100000'}\r\n\r\n`)
    socket.write(framing === 'chunked' ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]) : part)
    // wait until the sidecar has opened the upstream connection and begun sending
    for (let waited = 0; mock.stats.connections === 0 && waited < 10_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
    socket.destroy()
    // the upstream request was under way: the mock records it once the cut reaches it
    const [seen, ...more] = await mock.whenRecorded(1)
    t.same(more, [], 'one request reached the upstream')
    t.equal(seen?.complete, false, 'the mock never received a complete request: it saw the body cut short')
    t.ok((seen?.bodyBytes ?? Infinity) <= part.length, `no more than the application sent (${seen?.bodyBytes})`)
    const lines = logs.lines.filter((line) => line.requestId === 'abandoned-1')
    const access = lines.filter((line) => line.msg === 'request')
    t.equal(access.length, 1, 'one access line')
    t.equal(access[0]?.incomplete, true, 'marked incomplete')
    t.equal(access[0]?.status, 0, 'no status was sent')
    t.ok(Number(access[0]?.bytesIn) <= part.length, `counts only the bytes received before the app left (${access[0]?.bytesIn})`)
    t.notOk(lines.some((line) => line.errorCode === 'UPSTREAM_UNREACHABLE'), 'the upstream is not blamed')
  })
}
