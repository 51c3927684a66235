import t from 'tap'
import { call, client, PASSPHRASE, pki, startMock, startProxy } from '../helpers/harness.js'
import { toPkcs12 } from '../helpers/pkcs12.js'

t.test('a PKCS#12 file with a passphrase is used for mutual TLS', async (t) => {
  const p = await pki()
  const own = await p.issueClient({ commonName: 'pkcs12.example' })
  const mock = await startMock(t)
  const { url, sidecar } = await startProxy(t, mock, {
    TLS_CERT_FILE: undefined,
    TLS_KEY_FILE: undefined,
    TLS_PFX_FILE: p.write('client.p12', toPkcs12(own.keyPem, own.certPem, PASSPHRASE)),
    TLS_PASSPHRASE: PASSPHRASE
  })
  t.equal(sidecar.store.identity.info.source, 'pkcs12')
  t.equal(sidecar.store.identity.info.serialNumber.toLowerCase(), own.serialNumber.toLowerCase(), 'the identity read back is the one in the file')
  const res = await call(client(t), `${url}/__mock/echo`)
  t.equal(res.status, 200)
  t.equal(mock.requests[0]?.clientSerial?.toLowerCase(), own.serialNumber.toLowerCase(), 'the mock saw this certificate')
})
