import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { EXIT_CONFIG } from '../../src/errors.js'
import { exitOnStartupError } from '../../src/cli/fail.js'
import { loadIdentity } from '../../src/identity/load-identity.js'
import { pki } from '../helpers/harness.js'
import { startupLine } from '../helpers/startup-line.js'

// The same one-line report as the binary's (cli-config-errors.test.ts), for
// more settings, in process: configuration, then identity, as `serve` does.

t.test('more bad settings, each one line naming the variable', async (t) => {
  const p = await pki()
  const good = { TLS_CERT_FILE: p.clientCertFile, TLS_KEY_FILE: p.clientKeyFile }
  const rows: Array<[string, Record<string, string>, RegExp]> = [
    ['port out of range', { ...good, LISTEN_PORT: '70000' }, /LISTEN_PORT: must be <= 65535/],
    ['negative admin port', { ...good, ADMIN_PORT: '-1' }, /ADMIN_PORT/],
    ['upstream URL with a path', { ...good, UPSTREAM_URL: 'https://127.0.0.1:9/v1' }, /UPSTREAM_URL: must be an origin/],
    ['upstream URL with credentials', { ...good, UPSTREAM_URL: 'https://u:secret-in-url@127.0.0.1:9' }, /UPSTREAM_URL: must not carry credentials/],
    ['not a URL', { ...good, UPSTREAM_URL: 'mtls.primary.prod' }, /UPSTREAM_URL: is not a URL/],
    ['missing CA file', { ...good, TLS_CA_FILE: join(p.dir, 'nope-ca.pem') }, /TLS_CA_FILE: cannot read .*nope-ca\.pem: no such file/],
    ['CA file without a certificate', { ...good, TLS_CA_FILE: p.write('empty-ca.pem', 'nothing here\n') }, /TLS_CA_FILE: .* holds no PEM certificate/],
    ['missing secret file', { ...good, PROXY_AUTH_TOKEN_FILE: join(p.dir, 'no-token') }, /PROXY_AUTH_TOKEN_FILE: cannot read .*no-token/],
    ['empty secret file', { ...good, TRULIOO_PASSWORD_FILE: p.write('empty-pw', '\n'), TRULIOO_USERNAME: 'u' }, /TRULIOO_PASSWORD_FILE: .* is empty/],
    ['UPSTREAM_CONNECTIONS zero', { ...good, UPSTREAM_CONNECTIONS: '0' }, /UPSTREAM_CONNECTIONS: must be >= 1/],
    ['timeout not a number', { ...good, UPSTREAM_TIMEOUT_MS: '10s' }, /UPSTREAM_TIMEOUT_MS/],
    ['username without password', { ...good, TRULIOO_USERNAME: 'someone' }, /TRULIOO_PASSWORD: is required/],
    ['username with a colon', { ...good, TRULIOO_USERNAME: 'a:b', TRULIOO_PASSWORD: 'pw' }, /TRULIOO_USERNAME: must not contain ":"/],
    ['no certificate at all', {}, /TLS_CERT_FILE: is required.*TLS_KEY_FILE: is required/],
    ['PKCS#12 and PEM both', { ...good, TLS_PFX_FILE: p.write('x.p12', 'x') }, /TLS_PFX_FILE: set either/],
    ['servername an IP address', { ...good, TLS_SERVERNAME: '10.0.0.1' }, /TLS_SERVERNAME: must be a DNS name/],
    ['certificate file holds no certificate', { ...good, TLS_CERT_FILE: p.write('junk.pem', 'junk\n') }, /TLS_CERT_FILE: .*junk\.pem holds no PEM certificate/],
    ['key file holds no key', { ...good, TLS_KEY_FILE: p.write('junk.key', 'junk\n') }, /TLS_KEY_FILE: .*junk\.key holds no readable PEM private key/]
  ]
  for (const [name, env, expected] of rows) {
    const result = startupLine(env)
    if (result === undefined) {
      t.fail(`${name}: start-up did not fail`)
      continue
    }
    t.equal(result.code, EXIT_CONFIG, `${name}: exit 78`)
    t.equal(result.line.split('\n').filter((l) => l !== '').length, 1, `${name}: one line`)
    t.match(result.line, /^trulioo-mtls-sidecar: configuration error: /, `${name}: says it is configuration`)
    t.match(result.line, expected, `${name}: ${result.line.trim()}`)
    t.notMatch(result.line, /secret-in-url/, `${name}: no secret`)
  }
})
