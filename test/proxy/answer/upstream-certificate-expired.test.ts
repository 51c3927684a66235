import t from 'tap'
import { call, client, pki, startMock, startProxy } from '../../helpers/harness.js'

t.test('an upstream whose certificate has expired is refused with 502 UPSTREAM_TLS_ERROR saying so', async (t) => {
  const p = await pki()
  const expired = await p.issueClient({
    commonName: 'localhost',
    altNames: ['localhost', '127.0.0.1'],
    usage: 'server',
    notBefore: new Date(Date.now() - 10 * 86_400_000),
    notAfter: new Date(Date.now() - 86_400_000)
  })
  const mock = await startMock(t, { cert: expired.certPem, key: expired.keyPem })
  const { url } = await startProxy(t, mock)
  const res = await call(client(t), `${url}/connection/v1/testauthentication`)
  t.equal(res.status, 502)
  t.equal(res.headers['x-sidecar-error'], 'UPSTREAM_TLS_ERROR')
  t.match(res.json().error.message, /upstream's certificate is expired/)
  t.equal(mock.requests.length, 0, 'the request never reached the mock')
})
