import t from 'tap'
import { DEFAULT_CLIENT_KEEP_ALIVE_TIMEOUT_MS } from '../../../src/config/schema.js'
import { startMock, startProxy } from '../../helpers/harness.js'
import { KeptConnection } from '../../helpers/kept-connection.js'
import { accessLines } from '../../helpers/pipeline.js'

// The sidecar closes an application's idle connection only after telling it
// when (Keep-Alive: timeout=N), and one second later than that, so that a
// client that honours the hint always closes first. The default outlasts the
// idle timeouts of clients that ignore the hint (Go 90 s, curl 118 s); Node's
// own 5 s, which applied before, had the sidecar close connections that such
// clients were about to reuse.
const echo = 'GET /__mock/echo/kept HTTP/1.1\r\nHost: x\r\n\r\n'

t.test('by default an answer advertises 120 s, its own timeout and not the upstream\'s', async (t) => {
  t.equal(DEFAULT_CLIENT_KEEP_ALIVE_TIMEOUT_MS, 120_000)
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const connection = await KeptConnection.open(url)
  t.teardown(() => { connection.close() })
  connection.socket.write(echo)
  const answer = await connection.nextAnswer()
  if (typeof answer === 'string') throw new Error(`no answer: ${answer}`)
  t.equal(answer.status, 200)
  t.equal(answer.headers.connection, 'keep-alive')
  // (the mock's echo says `Keep-Alive: timeout=30`: hop-by-hop, it never crosses)
  t.equal(answer.headers['keep-alive'], 'timeout=120', 'the sidecar\'s own timeout, in whole seconds')
})

t.test('an idle connection is closed cleanly, and not before the advertised timeout', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { CLIENT_KEEP_ALIVE_TIMEOUT_MS: '1000', LOG_LEVEL: 'info' })
  const connection = await KeptConnection.open(url)
  t.teardown(() => { connection.close() })
  connection.socket.write(echo)
  const answer = await connection.nextAnswer()
  if (typeof answer === 'string') throw new Error(`no answer: ${answer}`)
  const answeredAt = performance.now()
  t.equal(answer.headers['keep-alive'], 'timeout=1')
  t.equal(await connection.ended, 'FIN', 'a FIN, not a reset: nothing was left unread')
  const idleMs = performance.now() - answeredAt
  t.ok(idleMs >= 1_000, `kept at least the advertised second (${Math.round(idleMs)} ms)`)
  t.equal(accessLines(logs).length, 1, 'one request, one access line, nothing else')
})
