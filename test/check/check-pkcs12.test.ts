import forge from 'node-forge'
import t from 'tap'
import { runCheck } from '../../src/check/run-check.js'
import { baseEnv, PASSPHRASE, pki, startMock } from '../helpers/harness.js'

/** The test client identity as a PKCS#12 file with AES-256, as a portal export would be. */
async function pfxFile (): Promise<string> {
  const p = await pki()
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(p.client.keyPem),
    [forge.pki.certificateFromPem(p.client.certPem)],
    PASSPHRASE,
    { algorithm: 'aes256' }
  )
  return p.write('client.p12', Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'))
}

t.test('check passes with a PKCS#12 identity, and names the passphrase when it is wrong', async (t) => {
  const mock = await startMock(t)
  const pfx = await pfxFile()
  const env = { ...await baseEnv(mock), TLS_PFX_FILE: pfx, TLS_PASSPHRASE: PASSPHRASE }
  delete (env as Record<string, string | undefined>).TLS_CERT_FILE
  delete (env as Record<string, string | undefined>).TLS_KEY_FILE

  const good = await runCheck({ env, envFile: false })
  t.ok(good.ok, JSON.stringify(good.steps, null, 2))
  t.match(good.steps.find((s) => s.id === 'certificate')?.detail, /CN=client\.test\.example, issued by CN=Sidecar Test CA/)
  t.match(good.steps.find((s) => s.id === 'key-match')?.detail, /checked by OpenSSL when the PKCS#12 file opened/)

  const bad = await runCheck({ env: { ...env, TLS_PASSPHRASE: 'wrong-one' }, envFile: false })
  const last = bad.steps.at(-1)
  t.equal(last?.id, 'certificate')
  t.match(last?.detail, /TLS_PASSPHRASE: is wrong: it does not open /)
  t.match(last?.advice, /passphrase chosen when the key was made/)
})
