import { once } from 'node:events'
import net from 'node:net'
import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'
import { headersOf, statusOf } from '../../helpers/raw-http.js'

// With a small pool, uploads that stall would hold every upstream connection
// and starve everyone else: a body that sends nothing for
// CLIENT_BODY_TIMEOUT_MS is cut with 408 and its upstream request aborted.
// (Bodies over 64 KiB: a smaller one is read whole before it takes a
// connection, see small-bodies-read-before-a-connection-is-taken.test.ts.)
t.test('stalled uploads on a pool of two get 408 CLIENT_TIMEOUT, and a third request is answered', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { UPSTREAM_CONNECTIONS: '2', CLIENT_BODY_TIMEOUT_MS: '600', UPSTREAM_QUEUE_TIMEOUT_MS: '20000' })
  const port = Number(new URL(url).port)
  const stall = async (id: string): Promise<string> => {
    const socket = net.connect(port, '127.0.0.1')
    await once(socket, 'connect')
    let text = ''
    socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1') })
    socket.write(`POST /__mock/echo HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${id}\r\nContent-Length: 100000\r\n\r\n${'a'.repeat(70_000)}`)
    await once(socket, 'close')
    return text
  }
  const slow = [stall('slow-1'), stall('slow-2')]
  // the third request is queued behind them until they are cut
  const third = call(client(t), `${url}/__mock/echo`, { headers: { 'x-request-id': 'third' } })
  const answers = await Promise.all(slow)
  for (const text of answers) {
    t.equal(statusOf(text), 408, 'the stalled upload is answered 408')
    t.equal(headersOf(text)['x-sidecar-error'], 'CLIENT_TIMEOUT')
  }
  t.equal((await third).status, 200, 'the third request got a connection and its answer')
  // both uploads had begun upstream (they held the pool); the mock records each once its cut arrives
  const posts = (await mock.whenRecorded(3)).filter((r) => r.method === 'POST')
  t.equal(posts.length, 2, 'both stalled uploads had begun upstream')
  t.same(posts.filter((r) => r.complete), [], 'no truncated upload reached the upstream as a complete request')
  t.ok(posts.every((r) => r.bodyBytes <= 70_000), 'each carried at most the 70,000 bytes sent')
})
