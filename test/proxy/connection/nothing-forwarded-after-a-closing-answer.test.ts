import t from 'tap'
import { startMock, startProxy } from '../../helpers/harness.js'
import { accessLines, pipelined } from '../../helpers/pipeline.js'

// RFC 9112 §9.6: once an answer says Connection: close, no later request on
// that connection is processed. A Trulioo verification is billable: nothing
// may run upstream whose answer cannot reach the application.
const echo = 'GET /__mock/echo/pipelined HTTP/1.1\r\nHost: x\r\n\r\n'
const cases = [
  { name: 'a 413 on Content-Length', first: 'POST /__mock/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n', status: 413 },
  { name: 'the application\'s own Connection: close', first: 'GET /__mock/status/204 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', status: 204, upstream: ['/__mock/status/204'] },
  { name: 'an HTTP/1.0 request without keep-alive', first: 'GET /__mock/status/204 HTTP/1.0\r\nHost: x\r\n\r\n', status: 204, upstream: ['/__mock/status/204'] },
  { name: 'a refusal of a request with an unread body', first: 'TRACE /__mock/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789', status: 405 }
]
for (const c of cases) {
  t.test(`after ${c.name}, a pipelined request is not forwarded`, async (t) => {
    const mock = await startMock(t)
    const { sidecar, logs } = await startProxy(t, mock, { MAX_BODY_BYTES: '4096', LOG_LEVEL: 'info' })
    const out = await pipelined(sidecar, mock, c.first + echo + echo)
    t.same(out.statuses, [c.status], `the reader sees exactly one answer, ${c.status}`)
    t.ok(out.closedByServer, 'and then the connection closes')
    t.same(out.forwarded, c.upstream ?? [], 'the upstream received nothing else')
    t.equal(sidecar.lifecycle.inFlight, 0, 'nothing left in flight')
    const forwardedLines = accessLines(logs).filter((l) => l.path === '/__mock/echo/pipelined' && l.status !== 0)
    t.same(forwardedLines, [], 'no access line claims the pipelined requests were answered')
  })
}

t.test('after a keep-alive refusal of a request without a body, the next request is answered in order', async (t) => {
  const mock = await startMock(t)
  const { sidecar } = await startProxy(t, mock)
  const out = await pipelined(sidecar, mock, `TRACE /x HTTP/1.1\r\nHost: x\r\n\r\n${echo}GET /__mock/status/204 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
  t.same(out.statuses, [405, 200, 204], 'every request answered, in order')
  t.same(out.forwarded, ['/__mock/echo/pipelined', '/__mock/status/204'])
})
