import t from 'tap'
import { resolveAuthRoutes, schemeName } from '../../src/auth/auth-routes.js'
import { loadConfig } from '../../src/config/load-config.js'
import { ConfigErrors } from '../../src/errors.js'
import { CLIENT_ID, CLIENT_SECRET, pki } from '../helpers/harness.js'

// AUTH_ROUTES: what it means, each refusal (one line naming the variable),
// and the default table giving way to what is configured.
const p = await pki()
const base = { TLS_CERT_FILE: p.clientCertFile, TLS_KEY_FILE: p.clientKeyFile }
const basic = { TRULIOO_USERNAME: 'user', TRULIOO_PASSWORD: 'pass' }
const oauth = { TRULIOO_CLIENT_ID: CLIENT_ID, TRULIOO_CLIENT_SECRET: CLIENT_SECRET }
const load = (env: Record<string, string>) => loadConfig({ env: { ...base, ...env }, envFile: false })
const table = (env: Record<string, string>) => Object.fromEntries(resolveAuthRoutes(load(env)).routes.map((r) => [r.prefix, schemeName(r.scheme)]))
const pick = (env: Record<string, string>, path: string) => schemeName(resolveAuthRoutes(load(env)).match(path).scheme)

t.test('the default table gives way to what is configured', async (t) => {
  const rows: Array<[string, Record<string, string>, Record<string, string>]> = [
    ['nothing configured: pass-through everywhere (as before)', {}, { '/v3/': 'pass-through', '/wfs/': 'pass-through', '/': 'pass-through' }],
    ['Basic only: Basic everywhere (as before)', basic, { '/v3/': 'basic', '/wfs/': 'basic', '/': 'basic' }],
    ['client credentials only: v3 and Workflow Studio, the rest pass-through', oauth, { '/v3/': 'oauth2:napi.api', '/wfs/': 'oauth2:workflow.studio.api', '/': 'pass-through' }],
    ['both', { ...basic, ...oauth }, { '/v3/': 'oauth2:napi.api', '/wfs/': 'oauth2:workflow.studio.api', '/': 'basic' }]
  ]
  for (const [name, env, expected] of rows) t.same(table(env), expected, name)
})

t.test('the longest matching prefix wins; no match is pass-through', async (t) => {
  const env = { ...basic, ...oauth, TRULIOO_API_KEY: 'k', AUTH_ROUTES: '/v3/=oauth2:napi.api, /v3/raw/=pass-through,/selfserve/=api-key,/connection/=basic' }
  t.equal(pick(env, '/v3/connection/testauthentication'), 'oauth2:napi.api')
  t.equal(pick(env, '/v3/raw/x'), 'pass-through')
  t.equal(pick(env, '/selfserve/a?b=c'), 'api-key')
  t.equal(pick(env, '/connection/v1/testauthentication'), 'basic')
  t.equal(pick(env, '/verifications/v1/verify'), 'pass-through', 'no prefix matches')
  t.equal(pick(env, '/v3'), 'pass-through', 'a prefix is matched as written')
  t.same(resolveAuthRoutes(load(env)).scopes, ['napi.api'])
})

t.test('every refusal is one line that names AUTH_ROUTES', async (t) => {
  const rows: Array<[string, Record<string, string>, RegExp]> = [
    ['no "="', { AUTH_ROUTES: '/v3/' }, /entry 1 \("\/v3\/"\) has no "="/],
    ['empty entry', { ...basic, AUTH_ROUTES: '/=basic,,/x/=basic' }, /entry 2 \(""\) is empty/],
    ['prefix without /', { ...basic, AUTH_ROUTES: 'v3/=basic' }, /entry 1 .* needs a path prefix that starts with "\/"/],
    ['prefix with a query', { ...basic, AUTH_ROUTES: '/v3/?x=basic' }, /needs a path prefix/],
    ['unknown scheme', { AUTH_ROUTES: '/=bearer' }, /entry 1 \("\/=bearer"\) has an unknown scheme: use basic, oauth2:SCOPE, api-key or pass-through/],
    ['empty scope', { ...oauth, AUTH_ROUTES: '/v3/=oauth2:' }, /has an invalid OAuth2 scope/],
    ['scope with a space', { ...oauth, AUTH_ROUTES: '/v3/=oauth2:a b' }, /has an invalid OAuth2 scope/],
    ['repeated prefix', { ...basic, AUTH_ROUTES: '/=basic,/=pass-through' }, /entry 2 .* repeats the prefix \//],
    ['oauth2 without client credentials', { ...basic, AUTH_ROUTES: '/v3/=oauth2:napi.api,/=basic' }, /the route \/v3\/=oauth2:napi\.api needs TRULIOO_CLIENT_ID and TRULIOO_CLIENT_SECRET, which are not configured/],
    ['basic without NAPI credentials', { ...oauth, AUTH_ROUTES: '/=basic' }, /the route \/=basic needs TRULIOO_USERNAME and TRULIOO_PASSWORD/],
    ['api-key without a key', { AUTH_ROUTES: '/selfserve/=api-key' }, /needs TRULIOO_API_KEY/]
  ]
  for (const [name, env, message] of rows) {
    try {
      load(env)
      t.fail(`${name}: accepted`)
    } catch (err) {
      t.ok(err instanceof ConfigErrors, name)
      const lines = (err as ConfigErrors).problems.map((p) => p.toLine())
      t.equal(lines.length, 1, `${name}: one problem`)
      t.match(lines[0], /^AUTH_ROUTES: /, `${name}: names the variable`)
      t.match(lines[0], message, name)
    }
  }
})

t.test('the client credentials come in pairs; TOKEN_URL is https without credentials', async (t) => {
  const rows: Array<[Record<string, string>, RegExp]> = [
    [{ TRULIOO_CLIENT_ID: 'x' }, /^TRULIOO_CLIENT_SECRET: is required when the other OAuth2 client credential is set$/],
    [{ TRULIOO_CLIENT_SECRET: 'x' }, /^TRULIOO_CLIENT_ID: is required/],
    [{ ...oauth, TOKEN_URL: 'http://auth.example/connect/token' }, /^TOKEN_URL: must use https/],
    [{ ...oauth, TOKEN_URL: 'https://u:p@auth.example/connect/token' }, /^TOKEN_URL: must not carry credentials/],
    [{ ...oauth, TOKEN_URL: 'not a url' }, /^TOKEN_URL: is not a URL$/]
  ]
  for (const [env, message] of rows) {
    const err = (() => { try { load(env); return undefined } catch (e) { return e as ConfigErrors } })()
    t.match(err?.problems.map((p) => p.toLine()).join('\n'), message)
  }
  t.equal(load(oauth).TOKEN_URL, 'https://auth-api.trulioo.com/connect/token', 'the default token endpoint')
})
