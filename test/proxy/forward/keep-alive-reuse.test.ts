import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

t.test('sequential requests reuse one upstream keep-alive socket', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  for (let i = 0; i < 5; i++) {
    const res = await call(client(t), `${url}/__mock/echo`, i % 2 === 0 ? {} : { method: 'POST', body: 'x'.repeat(100) })
    t.equal(res.status, 200)
  }
  t.equal(new Set(mock.requests.map((r) => r.socketId)).size, 1, 'one socket id at the mock')
  t.equal(mock.stats.connections, 1, 'one TLS handshake in all')
})
