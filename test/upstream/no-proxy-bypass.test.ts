import t from 'tap'
import { noProxyMatches } from '../../src/config/egress-proxy.js'
import { call, client, startMock, startProxy } from '../helpers/harness.js'
import { startConnectProxy } from '../helpers/connect-proxy.js'

t.test('NO_PROXY naming the upstream host: requests go direct, the proxy sees no connection', async (t) => {
  const mock = await startMock(t)
  const proxy = await startConnectProxy(t)
  const { url, sidecar } = await startProxy(t, mock, { HTTPS_PROXY: proxy.url, NO_PROXY: 'intranet.example, 127.0.0.1' })
  t.equal((await call(client(t), `${url}/connection/v1/testauthentication`)).status, 200)
  t.equal(mock.requests.length, 1)
  t.equal(proxy.stats.connections, 0, 'no connection to the proxy')
  t.same(proxy.connects, [])
  t.equal(sidecar.pool.openConnections, 1)
})

t.test('no_proxy (lowercase) works as well, and https_proxy wins over HTTPS_PROXY, as in curl', async (t) => {
  const mock = await startMock(t)
  const used = await startConnectProxy(t)
  const unused = await startConnectProxy(t)
  const { url } = await startProxy(t, mock, { https_proxy: used.url, HTTPS_PROXY: unused.url })
  t.equal((await call(client(t), `${url}/connection/v1/testauthentication`)).status, 200)
  t.equal(used.connects.length, 1, 'https_proxy used')
  t.equal(unused.stats.connections, 0, 'HTTPS_PROXY not')

  const direct = await startProxy(t, mock, { https_proxy: used.url, no_proxy: `127.0.0.1:${mock.port}` })
  t.equal((await call(client(t), `${direct.url}/connection/v1/testauthentication`)).status, 200)
  t.equal(used.connects.length, 1, 'no_proxy with the right port bypassed the proxy')
})

t.test('ALL_PROXY is the fallback when HTTPS_PROXY is unset; HTTP_PROXY is never used', async (t) => {
  const mock = await startMock(t)
  const all = await startConnectProxy(t)
  const httpOnly = await startConnectProxy(t)
  const { url } = await startProxy(t, mock, { ALL_PROXY: all.url, HTTP_PROXY: httpOnly.url, http_proxy: httpOnly.url })
  t.equal((await call(client(t), `${url}/connection/v1/testauthentication`)).status, 200)
  t.equal(all.connects.length, 1)
  t.equal(httpOnly.stats.connections, 0)
})

// curl's rules, one row each
const rows: Array<[list: string, host: string, port: number, bypass: boolean]> = [
  ['*', 'mtls.primary.prod.trulioo.com', 443, true],
  ['trulioo.com', 'mtls.primary.prod.trulioo.com', 443, true],
  ['.trulioo.com', 'mtls.primary.prod.trulioo.com', 443, true],
  ['.trulioo.com', 'trulioo.com', 443, true],
  ['trulioo.com', 'nottrulioo.com', 443, false],
  ['prod.trulioo.com', 'trulioo.com', 443, false],
  ['example.com, Trulioo.COM ', 'mtls.trulioo.com', 443, true],
  ['example.com', 'mtls.trulioo.com', 443, false],
  ['10.0.0.5', '10.0.0.5', 443, true],
  ['10.0.0.5', '10.0.0.50', 443, false],
  ['10.0.0.0/8', '10.1.2.3', 443, true],
  ['10.0.0.0/8', '11.1.2.3', 443, false],
  ['::1', '::1', 443, true],
  ['[::1]:8443', '::1', 8443, true],
  ['trulioo.com:8443', 'mtls.trulioo.com', 443, false],
  ['trulioo.com:443', 'mtls.trulioo.com', 443, true],
  ['', 'mtls.trulioo.com', 443, false],
  ['*.trulioo.com', 'mtls.trulioo.com', 443, true]
]

t.test('NO_PROXY rules as curl has them', async (t) => {
  for (const [list, host, port, bypass] of rows) t.equal(noProxyMatches(list, host, port), bypass, `NO_PROXY="${list}" ${host}:${port} → ${bypass ? 'direct' : 'proxy'}`)
  t.equal(noProxyMatches(undefined, 'x.example', 443), false)
})
