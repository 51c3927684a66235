import t from 'tap'
import { call, client, PASSWORD, pki, startMock, startProxy, USERNAME } from '../helpers/harness.js'
import { startConnectProxy } from '../helpers/connect-proxy.js'

// Behind a corporate proxy: the sidecar asks the proxy for a tunnel with
// CONNECT and runs its TLS session with the upstream inside it, end to end.
// The proxy must see the CONNECT line and ciphertext, nothing else.
t.test('HTTPS_PROXY: requests pass through a CONNECT tunnel; the proxy sees only CONNECT 127.0.0.1:PORT and ciphertext', async (t) => {
  const mock = await startMock(t)
  const proxy = await startConnectProxy(t)
  const { url } = await startProxy(t, mock, { HTTPS_PROXY: proxy.url })

  const res = await call(client(t), `${url}/verifications/v1/verify`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ CountryCode: 'CA', secretField: 'Plaintext-Marker-Jx4' })
  })
  t.equal(res.status, 200)
  t.equal(res.json().TransactionID, mock.verifications.runs[0]?.transactionId, 'the verification the mock ran')
  t.equal(mock.requests[0]?.clientSerial, (await pki()).client.serialNumber.toUpperCase(), 'the upstream saw the client certificate: TLS ran end to end')

  t.same(proxy.connects.map((c) => c.target), [`127.0.0.1:${mock.port}`], 'one CONNECT, to the upstream\'s host and port')
  t.equal(proxy.connects[0]?.headers.host, `127.0.0.1:${mock.port}`)
  t.same(proxy.plainRequests, [], 'no plain request was sent to the proxy')
  const seen = proxy.relayed()
  t.ok(seen.length > 1000, 'bytes went through the tunnel')
  const basic = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')
  for (const plaintext of ['/verifications/v1/verify', 'Plaintext-Marker-Jx4', basic, 'HTTP/1.1', 'TransactionID']) {
    t.notOk(seen.includes(plaintext), `the proxy never saw ${plaintext} in clear`)
  }
})
