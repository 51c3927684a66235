import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// 200 requests at once must all be answered, over no more upstream sockets
// than UPSTREAM_CONNECTIONS: the pool queues, it does not open one per request.
t.test('200 concurrent requests are answered over at most UPSTREAM_CONNECTIONS sockets', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { UPSTREAM_CONNECTIONS: '8', LOG_LEVEL: 'warn' })
  const app = client(t, 256)
  // each answer takes 100 ms, so an unbounded pool would open far more than 8 sockets
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    i % 2 === 0
      ? call(app, `${url}/__mock/slow/100`)
      : call(app, `${url}/__mock/slow/100`, { method: 'POST', body: JSON.stringify({ n: i }), headers: { 'content-type': 'application/json' } })))
  t.equal(answers.filter((a) => a.status === 200).length, 200, 'all 200 answered 200')
  t.equal(mock.requests.length, 200, 'the mock saw 200 requests')
  t.ok(mock.stats.maxOpen <= 8, `at most 8 sockets open at once (saw ${mock.stats.maxOpen})`)
  t.ok(mock.stats.connections <= 8, `at most 8 sockets opened in all (saw ${mock.stats.connections})`)
  t.ok(mock.stats.connections >= 2, 'more than one socket was used under load')
  t.equal(new Set(mock.requests.map((r) => r.socketId)).size, mock.stats.connections, 'requests spread over those sockets')
})
