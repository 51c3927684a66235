import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { ConfigError } from '../../src/errors.js'
import { loadIdentity } from '../../src/identity/load-identity.js'
import { encryptKey, PASSPHRASE, pki } from '../helpers/harness.js'
import { toPkcs12 } from '../helpers/pkcs12.js'

const WRONG = 'not-the-passphrase-Kx3'

async function fixtures () {
  const p = await pki()
  return {
    'encrypted PKCS#8 key': { TLS_CERT_FILE: p.clientCertFile, TLS_KEY_FILE: p.write('k8.key', encryptKey(p.client.keyPem, PASSPHRASE, 'pkcs8')) },
    'traditional encrypted key': { TLS_CERT_FILE: p.clientCertFile, TLS_KEY_FILE: p.write('kt.key', encryptKey(p.client.keyPem, PASSPHRASE, 'traditional')) },
    'PKCS#12 file': { TLS_PFX_FILE: p.write('c.p12', toPkcs12(p.client.keyPem, p.client.certPem, PASSPHRASE)) }
  }
}

t.test('a wrong passphrase is a ConfigError naming TLS_PASSPHRASE, without the passphrase', async (t) => {
  for (const [name, files] of Object.entries(await fixtures())) {
    t.test(name, async (t) => {
      const config = loadConfig({ envFile: false, env: { ...files, TLS_PASSPHRASE: WRONG } })
      const err = t.throws(() => loadIdentity(config)) as ConfigError
      t.type(err, ConfigError)
      t.equal(err.subject, 'TLS_PASSPHRASE')
      t.match(err.message, /wrong/)
      t.notMatch(err.toLine(), WRONG)
      t.notMatch(err.toLine(), PASSPHRASE)

      const right = loadConfig({ envFile: false, env: { ...files, TLS_PASSPHRASE: PASSPHRASE } })
      t.doesNotThrow(() => loadIdentity(right), 'the right passphrase opens it')
    })
  }
})
