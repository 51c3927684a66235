import { writeFileSync } from 'node:fs'
import t from 'tap'
import { CLIENT_SECRET, call, client, oauthEnv, pki, startMock, startProxy, waitFor } from '../helpers/harness.js'

// The client secret comes from a file; the secret is rotated at Trulioo and
// in the file; a reload (a file change, SIGHUP) drops the tokens bought with
// the old secret and fetches new ones with the new secret.
t.test('a new client secret in its file drops the cached tokens and fetches new ones', async (t) => {
  const mock = await startMock(t)
  const p = await pki()
  const secretFile = p.write('client-secret', `${CLIENT_SECRET}\n`)
  const { url, sidecar } = await startProxy(t, mock, { ...oauthEnv(mock), TRULIOO_CLIENT_SECRET: undefined, TRULIOO_CLIENT_SECRET_FILE: secretFile, AUTH_ROUTES: '/v3/=oauth2:napi.api', CERT_WATCH: 'false' })
  t.ok(await waitFor(() => sidecar.readiness.ready))
  const old = sidecar.tokens?.current('napi.api')

  const rotated = 'rotated-client-secret-Lm7Tz'
  mock.tokens.clientSecret = rotated
  writeFileSync(secretFile, `${rotated}\n`)
  t.equal(sidecar.store.reload().ok, true, 'the reload read the new secret')
  t.equal(sidecar.tokens?.current('napi.api'), undefined, 'the old token is dropped at once')
  t.ok(await waitFor(() => sidecar.tokens?.current('napi.api') !== undefined), 'a new token was fetched')
  t.same(mock.tokens.calls.map((c) => c.status), [200, 200], 'with the new secret, accepted at once')
  const res = await call(client(t), `${url}/v3/connection/testauthentication`)
  t.equal(res.status, 200)
  t.not(mock.requests.at(-1)?.headers.authorization, old?.authorization, 'the request carried the new token')

  // a reload with the same secret keeps the token
  const current = sidecar.tokens?.current('napi.api')
  t.equal(sidecar.store.reload().ok, true)
  t.equal(sidecar.tokens?.current('napi.api'), current, 'unchanged secret: the token is kept')
  t.equal(mock.tokens.calls.length, 2, 'and no token call')
})
