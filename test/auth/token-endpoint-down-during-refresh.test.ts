import t from 'tap'
import { call, client, oauthEnv, startMock, startProxy, waitFor } from '../helpers/harness.js'

// The endpoint fails when the refresh is due: the old token keeps being used
// until it expires; after that, requests on the route get 503
// TOKEN_UNAVAILABLE and the upstream is not called. (The 60 s floor on a
// token's lifetime is lowered to 1 s so that the 2.5 s token expires.)
t.test('token endpoint down during a refresh: old token used, then 503 TOKEN_UNAVAILABLE after expiry', async (t) => {
  const mock = await startMock(t, { tokenLifetimeSeconds: 2.5 })
  const { url, sidecar } = await startProxy(t, mock, { ...oauthEnv(mock), AUTH_ROUTES: '/v3/=oauth2:napi.api' }, { tokens: { firstBackoffMs: 200, maxBackoffMs: 300, minLifetimeMs: 1000 } })
  const http = client(t)
  t.ok(await waitFor(() => sidecar.readiness.ready))
  const first = sidecar.tokens?.current('napi.api')
  mock.tokens.fail = 'reset'
  const calls = mock.tokens.calls.length
  t.ok(await waitFor(() => mock.tokens.calls.length > calls + 1), 'the refresh was tried and retried')
  t.ok(Date.now() < (first?.expiresAt ?? 0), 'the first token has not expired yet')
  const res = await call(http, `${url}/v3/connection/testauthentication`)
  t.equal(res.status, 200, 'the old token still serves')
  t.equal(mock.requests.at(-1)?.headers.authorization, first?.authorization, 'and it was the one sent')

  t.ok(await waitFor(() => Date.now() > (first?.expiresAt ?? 0)), 'the token expired')
  const upstreamBefore = mock.requests.filter((r) => r.path.startsWith('/v3/')).length
  const refused = await call(http, `${url}/v3/connection/testauthentication`)
  t.equal(refused.status, 503)
  t.equal(refused.headers['x-sidecar-error'], 'TOKEN_UNAVAILABLE')
  t.match(refused.json().error.message, /napi\.api: the token endpoint 127\.0\.0\.1:\d+ cannot be reached/)
  t.equal(mock.requests.filter((r) => r.path.startsWith('/v3/')).length, upstreamBefore, 'the upstream was not called')
  t.equal(sidecar.readiness.ready, false, 'not ready')
})
