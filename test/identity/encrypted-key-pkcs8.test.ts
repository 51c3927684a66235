import t from 'tap'
import { call, client, encryptKey, PASSPHRASE, pki, startMock, startProxy } from '../helpers/harness.js'

t.test('a PKCS#8 key encrypted with TLS_PASSPHRASE is used for mutual TLS', async (t) => {
  const p = await pki()
  const own = await p.issueClient({ commonName: 'pkcs8.example' })
  const keyPem = encryptKey(own.keyPem, PASSPHRASE, 'pkcs8')
  t.match(keyPem, /BEGIN ENCRYPTED PRIVATE KEY/, 'fixture is encrypted PKCS#8')
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, {
    TLS_CERT_FILE: p.write('pkcs8.pem', own.certPem),
    TLS_KEY_FILE: p.write('pkcs8.key', keyPem),
    TLS_PASSPHRASE: PASSPHRASE
  })
  const res = await call(client(t), `${url}/__mock/echo`)
  t.equal(res.status, 200)
  t.equal(mock.requests[0]?.clientSerial?.toLowerCase(), own.serialNumber.toLowerCase(), 'the mock saw this certificate')
})
