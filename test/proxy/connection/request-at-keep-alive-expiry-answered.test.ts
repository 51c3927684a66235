import t from 'tap'
import { startMock, startProxy, waitFor } from '../../helpers/harness.js'
import { KeptConnection } from '../../helpers/kept-connection.js'
import { accessLines } from '../../helpers/pipeline.js'

// A 12-minute soak had one request reset on a reused connection, with no
// access line. Node decides to close an idle keep-alive connection in its
// timers phase, before it reads the sockets again: when the event loop has
// been busy across the expiry (a burst of answers, a GC, a new identity's TLS
// context), the next request is already in the kernel, unread, and Node's
// destroy() answers it with a reset. The sidecar now looks once more after
// the sockets are read, and keeps a connection whose next request has come.
//
// The busy loop below is the event itself (the stall), not a sleep standing
// in for one: 2.3 s of synchronous work in the check phase, past the 1 s
// timeout and Node's one-second margin, after which libuv runs the expired
// timers before it polls the sockets.
const KEEP_ALIVE_MS = 1_000
const STALL_MS = KEEP_ALIVE_MS + 1_000 + 300
const first = 'GET /__mock/status/200 HTTP/1.1\r\nHost: x\r\n\r\n'
const cases = [
  { name: 'a GET', path: '/__mock/echo/at-expiry', before: 'GET /__mock/echo/at-expiry HTTP/1.1\r\nHost: x\r\n\r\n', after: '' },
  { name: 'a POST with its body', path: '/__mock/echo/at-expiry', before: 'POST /__mock/echo/at-expiry HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', after: '' },
  { name: 'a head that is half there', path: '/__mock/echo/at-expiry', before: 'GET /__mock/echo/at-expiry HTTP/1.1\r\nHo', after: 'st: x\r\n\r\n' }
]

for (const c of cases) {
  t.test(`${c.name} that arrives while the loop is busy across the keep-alive expiry is answered`, async (t) => {
    const mock = await startMock(t)
    const { url, logs, sidecar } = await startProxy(t, mock, { CLIENT_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS), LOG_LEVEL: 'info' })
    const connection = await KeptConnection.open(url)
    t.teardown(() => { connection.close() })
    connection.socket.write(first)
    const answer = await connection.nextAnswer()
    t.equal(typeof answer === 'string' ? answer : answer.status, 200)
    // its access line is written once its answer is finished: the keep-alive timer runs from there
    t.ok(await waitFor(() => accessLines(logs).length === 1), 'the first request is done')
    const before = mock.requests.length

    await new Promise<void>((resolve) => setImmediate(resolve))
    connection.socket.write(c.before)
    const until = performance.now() + STALL_MS
    while (performance.now() < until) { /* the event loop is busy */ }
    if (c.after !== '') connection.socket.write(c.after)

    const second = await connection.nextAnswer()
    if (typeof second === 'string') {
      t.fail(`the connection ended without an answer (${second})`)
      return
    }
    t.equal(second.status, 200, 'answered')
    t.same(mock.requests.slice(before).map((r) => r.path), [c.path], 'forwarded once')
    t.ok(await waitFor(() => sidecar.lifecycle.inFlight === 0 && accessLines(logs).length === 2), 'and its access line written')
    t.notOk(connection.socket.destroyed, 'the connection is still open for the next request')
  })
}
