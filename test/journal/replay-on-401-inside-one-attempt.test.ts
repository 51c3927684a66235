import t from 'tap'
import { client, oauthEnv, startMock, startProxy, waitFor } from '../helpers/harness.js'
import { post } from '../helpers/journal.js'

// The 401 replay (a stale token) happens inside the one attempt: the journal
// keeps the answer to the replay, and a retry with the key sends nothing.
t.test('a keyed OAuth2 POST refused with 401 is replayed once with a new token, and its answer kept', async (t) => {
  const mock = await startMock(t)
  const { url, sidecar } = await startProxy(t, mock, { ...oauthEnv(mock), AUTH_ROUTES: '/v3/=oauth2:napi.api,/=basic' })
  t.ok(await waitFor(() => sidecar.readiness.ready))
  const http = client(t)
  mock.tokens.revokeAll()
  const first = await post(http, `${url}/v3/verifications/verify`, 'oauth-1')
  t.equal(first.status, 200)
  const seen = mock.requests.filter((r) => r.path === '/v3/verifications/verify')
  t.equal(seen.length, 2, 'the 401, then the replay')
  const retry = await post(http, `${url}/v3/verifications/verify`, 'oauth-1')
  t.equal(retry.status, 200)
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(retry.text, first.text)
  t.equal(mock.requests.filter((r) => r.path === '/v3/verifications/verify').length, 2, 'nothing more sent')
})
