import t from 'tap'
import { call, client, pki, startMock, startProxy } from '../helpers/harness.js'
import { startConnectProxy } from '../helpers/connect-proxy.js'

t.test('an https:// proxy: TLS to the proxy verified with EGRESS_PROXY_CA_FILE, and mutual TLS with the upstream inside it', async (t) => {
  const p = await pki()
  const mock = await startMock(t)
  const proxy = await startConnectProxy(t, { tls: { cert: p.server.certPem, key: p.server.keyPem } })
  t.match(proxy.url, /^https:/)
  const { url } = await startProxy(t, mock, { HTTPS_PROXY: proxy.url, EGRESS_PROXY_CA_FILE: p.caFile })
  const res = await call(client(t), `${url}/connection/v1/testauthentication`)
  t.equal(res.status, 200)
  t.equal(proxy.connects.length, 1)
  t.equal(mock.requests[0]?.clientSerial, p.client.serialNumber.toUpperCase(), 'the upstream saw the client certificate')
})

t.test('an https:// proxy whose certificate is not trusted is refused: 502 EGRESS_PROXY_ERROR saying to set EGRESS_PROXY_CA_FILE', async (t) => {
  const p = await pki()
  const mock = await startMock(t)
  const proxy = await startConnectProxy(t, { tls: { cert: p.server.certPem, key: p.server.keyPem } })
  const { url } = await startProxy(t, mock, { HTTPS_PROXY: proxy.url })
  const res = await call(client(t), `${url}/connection/v1/testauthentication`)
  t.equal(res.status, 502)
  t.equal(res.headers['x-sidecar-error'], 'EGRESS_PROXY_ERROR')
  t.match(res.json().error.message, /TLS with the egress proxy https:\/\/127\.0\.0\.1:\d+ failed .*EGRESS_PROXY_CA_FILE/)
  t.equal(proxy.connects.length, 0, 'no CONNECT was sent to a proxy that was not verified')
})
