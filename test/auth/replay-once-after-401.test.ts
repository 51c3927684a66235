import t from 'tap'
import { createHash } from 'node:crypto'
import { call, client, freePort, oauthEnv, startMock, startProxy, waitFor } from '../helpers/harness.js'

// Trulioo revokes the token the sidecar holds: the next request gets a 401.
// For a GET and a small POST the sidecar fetches one new token and replays
// the request once; a POST over 64 KiB is never replayed (the mock saw it
// exactly once) and its 401 reaches the application untouched.
t.test('a 401 with a stale token: one refresh and one replay for GET and a small POST, none for a POST over 64 KiB', async (t) => {
  const mock = await startMock(t)
  const { url, sidecar } = await startProxy(t, mock, { ...oauthEnv(mock), AUTH_ROUTES: '/v3/=oauth2:napi.api,/=basic', ADMIN_PORT: String(await freePort()) })
  const http = client(t)
  t.ok(await waitFor(() => sidecar.readiness.ready))
  const on = (path: string) => mock.requests.filter((r) => r.path === path)

  mock.tokens.revokeAll()
  const get = await call(http, `${url}/v3/connection/testauthentication`)
  t.equal(get.status, 200, 'GET: answered 200 after the replay')
  t.equal(on('/v3/connection/testauthentication').length, 2, 'GET: reached the mock twice (the 401, then the replay)')
  t.equal(mock.tokens.calls.length, 2, 'GET: one new token')
  const [refused, replayed] = on('/v3/connection/testauthentication')
  t.not(refused?.headers.authorization, replayed?.headers.authorization, 'the replay carried the new token')

  mock.tokens.revokeAll()
  const body = JSON.stringify({ CountryCode: 'CA', DataFields: { PersonInfo: { FirstGivenName: 'Jane' } }, pad: 'x'.repeat(4000) })
  const post = await call(http, `${url}/v3/verifications/verify`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
  t.equal(post.status, 200, 'small POST: answered 200 after the replay')
  const posts = on('/v3/verifications/verify')
  t.equal(posts.length, 2, 'small POST: the 401, then the replay')
  const sha = createHash('sha256').update(body).digest('hex')
  t.same(posts.map((p) => p.bodySha256), [sha, sha], 'the same body both times')
  t.equal(mock.tokens.calls.length, 3, 'small POST: one new token')

  mock.tokens.revokeAll()
  const big = Buffer.alloc(70 * 1024, 0x61)
  const large = await call(http, `${url}/v3/verifications/verify`, { method: 'POST', body: big, headers: { 'content-type': 'application/json' } })
  t.equal(large.status, 401, 'large POST: the 401 comes back')
  t.equal(large.headers['x-sidecar-error'], undefined, 'as the upstream sent it, not a sidecar error')
  t.same(large.json(), { Message: 'Authorization has been denied for this request.' })
  t.equal(on('/v3/verifications/verify').length, 3, 'large POST: the verification reached the mock exactly once')
  t.equal(mock.tokens.calls.length, 3, 'large POST: no token call')

  const metrics = (await call(http, `${sidecar.adminUrl as string}/metrics`)).text
  t.match(metrics, /^trulioo_sidecar_token_replays_total\{scope="napi\.api"\} 2$/m, 'two replays counted')
})

t.test('a 401 again after the replay goes back to the application: one replay, never two', async (t) => {
  const mock = await startMock(t)
  const { url, sidecar } = await startProxy(t, mock, { ...oauthEnv(mock), AUTH_ROUTES: '/v3/=oauth2:napi.api' })
  t.ok(await waitFor(() => sidecar.readiness.ready))
  mock.tokens.revokeAll()
  // every token the endpoint hands out from now on is refused at once
  mock.tokens.lifetimeSeconds = 0
  const res = await call(client(t), `${url}/v3/connection/testauthentication`)
  t.equal(res.status, 401)
  t.equal(res.headers['x-sidecar-error'], undefined)
  t.equal(mock.requests.filter((r) => r.path === '/v3/connection/testauthentication').length, 2, 'sent, replayed once, no more')
})
