import t from 'tap'
import { createIntermediateAuthority } from '../../src/mock/pki.js'
import { call, client, pki, startMock, startProxy } from '../helpers/harness.js'

// Issued by an intermediate CA the upstream does not hold: the handshake works
// only if TLS_CERT_FILE's chain (leaf, then intermediate) is sent with it.
t.test('a client certificate file with its chain presents the whole chain', async (t) => {
  const p = await pki()
  const intermediate = await createIntermediateAuthority(p.ca, 'Sidecar Test Intermediate')
  const leaf = await p.issueClient({ commonName: 'chained.example' }, intermediate)
  const mock = await startMock(t) // trusts only the root
  const { url, sidecar } = await startProxy(t, mock, {
    TLS_CERT_FILE: p.write('chain.pem', `${leaf.certPem}\n${intermediate.certPem}`),
    TLS_KEY_FILE: p.write('chain.key', leaf.keyPem)
  })
  t.equal(sidecar.store.identity.info.serialNumber.toLowerCase(), leaf.serialNumber.toLowerCase(), 'the leaf is the identity')
  const res = await call(client(t), `${url}/__mock/echo`)
  t.equal(res.status, 200, res.text.slice(0, 200))
  t.equal(mock.requests[0]?.clientSerial?.toLowerCase(), leaf.serialNumber.toLowerCase(), 'the mock saw the leaf')

  const alone = await startProxy(t, mock, { TLS_CERT_FILE: p.write('leaf-only.pem', leaf.certPem), TLS_KEY_FILE: p.write('leaf-only.key', leaf.keyPem) })
  const refused = await call(client(t), `${alone.url}/__mock/echo`)
  t.equal(refused.status, 502, 'without the intermediate the upstream refuses it (the test can fail)')
  t.equal(refused.headers['x-sidecar-error'], 'UPSTREAM_TLS_ERROR')
})
