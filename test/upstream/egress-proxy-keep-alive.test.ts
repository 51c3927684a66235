import t from 'tap'
import { call, client, startMock, startProxy } from '../helpers/harness.js'
import { startConnectProxy } from '../helpers/connect-proxy.js'

t.test('pooled upstream connections stay pooled through the tunnel: 10 requests, fewer tunnels', async (t) => {
  const mock = await startMock(t)
  const proxy = await startConnectProxy(t)
  const { url, sidecar } = await startProxy(t, mock, { HTTPS_PROXY: proxy.url })
  const http = client(t)
  for (let i = 0; i < 10; i++) t.equal((await call(http, `${url}/connection/v1/testauthentication`)).status, 200)
  t.equal(mock.requests.length, 10)
  t.equal(proxy.connects.length, 1, 'one tunnel carried all ten, one after another')
  t.equal(mock.stats.connections, 1, 'over one TLS session with the upstream')
  t.equal(sidecar.pool.openConnections, 1, 'and it is still open, in the pool')
})
