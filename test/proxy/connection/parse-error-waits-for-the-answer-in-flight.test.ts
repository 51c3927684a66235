import t from 'tap'
import { startMock, startProxy } from '../../helpers/harness.js'
import { accessLines, pipelined } from '../../helpers/pipeline.js'

// Bytes that do not parse behind a request already forwarded must not be
// answered first: the application would read that 400 as the answer to the
// request that ran upstream, and the real answer would be lost.
const cases = [
  { name: 'a malformed pipelined request', bytes: 'GET /__mock/slow/300 HTTP/1.1\r\nHost: x\r\n\r\nNOT A REQUEST\r\n\r\n', tail: [400] as number[] },
  { name: 'two stray bytes after a POST body', bytes: 'POST /__mock/slow/300 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbodyxx', tail: [400] as number[] },
  { name: 'anything after the application\'s own Connection: close', bytes: 'GET /__mock/slow/300 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /__mock/echo HTTP/1.1\r\nHost: x\r\n\r\n', tail: [] as number[] }
]
for (const c of cases) {
  t.test(`${c.name}: the forwarded request's answer comes first, then the connection ends`, async (t) => {
    const mock = await startMock(t)
    const { sidecar, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info' })
    const out = await pipelined(sidecar, mock, c.bytes)
    t.equal(out.statuses[0], 200, 'the real answer first')
    t.ok(out.statuses.length === 1 || (c.tail.length > 0 && out.statuses.length === 2 && out.statuses[1] === 400), `then at most the 400 for the bytes that did not parse (${out.statuses.join(', ')})`)
    t.match(out.text, /"slept":300/, 'and it is the upstream\'s')
    t.ok(out.closedByServer, 'the connection is closed after it')
    t.same(out.forwarded, ['/__mock/slow/300'], 'only the parsed request ran upstream')
    t.equal(sidecar.lifecycle.inFlight, 0)
    t.equal(accessLines(logs).filter((l) => l.path === '/__mock/slow/300' && l.status === 200).length, 1, 'one access line for the request that ran')
  })
}
