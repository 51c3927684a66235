import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// Without TLS_CA_FILE the mock's private CA is unknown: verification is always
// on, so the sidecar refuses the upstream before sending anything.
t.test('an upstream certificate from an untrusted CA is refused with 502 UPSTREAM_TLS_ERROR', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { TLS_CA_FILE: undefined })
  const res = await call(client(t), `${url}/verifications/v1/verify`, { method: 'POST', body: '{"CountryCode":"CA"}', headers: { 'content-type': 'application/json' } })
  t.equal(res.status, 502)
  t.equal(res.headers['x-sidecar-error'], 'UPSTREAM_TLS_ERROR')
  t.match(res.json().error.message, /not signed by a trusted CA|unknown CA/i)
  t.equal(mock.requests.length, 0, 'the request never reached the mock')
  t.equal(mock.stats.connections, 0, 'no TLS connection was completed')
})
