import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { ConfigErrors } from '../../src/errors.js'
import { pki } from '../helpers/harness.js'

t.test('setting both X and X_FILE is an error naming X, for every secret', async (t) => {
  const p = await pki()
  for (const name of ['TLS_PASSPHRASE', 'TRULIOO_USERNAME', 'TRULIOO_PASSWORD', 'PROXY_AUTH_TOKEN']) {
    const value = `value-of-${name}-Q7`
    const env = {
      TLS_CERT_FILE: p.clientCertFile,
      TLS_KEY_FILE: p.clientKeyFile,
      [name]: value,
      [`${name}_FILE`]: p.write(name.toLowerCase(), `${value}-from-file\n`)
    }
    const err = t.throws(() => loadConfig({ envFile: false, env })) as ConfigErrors
    t.type(err, ConfigErrors, name)
    t.ok(err.problems.some((problem) => problem.subject === name && /not both/.test(problem.message)), `${name}: says not both`)
    t.notMatch(err.message, value, `${name}: the value is not in the message`)
  }
})
