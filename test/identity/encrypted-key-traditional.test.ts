import t from 'tap'
import { call, client, encryptKey, PASSPHRASE, pki, startMock, startProxy } from '../helpers/harness.js'

t.test('a traditional encrypted PEM key (Proc-Type: 4,ENCRYPTED) is used for mutual TLS', async (t) => {
  const p = await pki()
  const own = await p.issueClient({ commonName: 'traditional.example' })
  const keyPem = encryptKey(own.keyPem, PASSPHRASE, 'traditional')
  t.match(keyPem, /BEGIN RSA PRIVATE KEY/, 'fixture is a traditional RSA key')
  t.match(keyPem, /Proc-Type: 4,ENCRYPTED/, 'and encrypted')
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, {
    TLS_CERT_FILE: p.write('traditional.pem', own.certPem),
    TLS_KEY_FILE: p.write('traditional.key', keyPem),
    TLS_PASSPHRASE: PASSPHRASE
  })
  const res = await call(client(t), `${url}/__mock/echo`)
  t.equal(res.status, 200)
  t.equal(mock.requests[0]?.clientSerial?.toLowerCase(), own.serialNumber.toLowerCase(), 'the mock saw this certificate')
})
