import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { ConfigErrors } from '../../src/errors.js'

const good = { TLS_CERT_FILE: '/c.pem', TLS_KEY_FILE: '/k.pem' }
const load = (env: Record<string, string>) => loadConfig({ env: { ...good, ...env }, envFile: false })

t.test('bad egress proxy settings are refused with one line naming the variable, never the secret', async (t) => {
  const rows: Array<[name: string, env: Record<string, string>, line: RegExp]> = [
    ['a SOCKS proxy', { HTTPS_PROXY: 'socks5://proxy:1080' }, /^HTTPS_PROXY: uses socks5: only http:\/\/ and https:\/\/ proxies/],
    ['not a URL', { ALL_PROXY: 'http://[oops' }, /^ALL_PROXY: is not a URL/],
    ['credentials twice', { HTTPS_PROXY: 'http://u:Secret-Hq1@proxy:3128', EGRESS_PROXY_AUTH: 'u:Secret-Hq1' }, /^EGRESS_PROXY_AUTH: set the proxy credentials either in HTTPS_PROXY or in EGRESS_PROXY_AUTH\(_FILE\), not both/],
    ['no colon', { HTTPS_PROXY: 'http://proxy:3128', EGRESS_PROXY_AUTH: 'Secret-Hq1' }, /^EGRESS_PROXY_AUTH: must hold user:password/],
    ['a bad NO_PROXY entry', { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'a b' }, /^NO_PROXY: "a b" is neither/]
  ]
  for (const [name, env, line] of rows) {
    const err = t.throws(() => load(env), name) as ConfigErrors
    t.ok(err instanceof ConfigErrors, name)
    const lines = err.problems.map((p) => p.toLine())
    t.match(lines.join('\n'), line, name)
    t.notOk(lines.join('\n').includes('Secret-Hq1'), `${name}: no secret in the line`)
  }
})

t.test('accepted: a bare host:port (http, as curl), lowercase names, and the proxy left out when unset', async (t) => {
  t.equal(load({ https_proxy: 'proxy.corp:3128' }).HTTPS_PROXY, 'proxy.corp:3128')
  t.equal(load({ no_proxy: '.corp', NO_PROXY: 'other' }).NO_PROXY, '.corp', 'lowercase wins, as in curl')
  t.equal(load({}).HTTPS_PROXY, undefined)
})
