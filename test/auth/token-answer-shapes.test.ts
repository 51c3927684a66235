import t from 'tap'
import { parseAnswer } from '../../src/auth/token-client.js'
import { call, client, oauthEnv, startMock, startProxy, waitFor } from '../helpers/harness.js'

// Both documented answers are understood: NAPI v3's {access_token, expires_in}
// and Workflow Studio's {Token, TokenType, ExpiresIn}; anything else is a
// failure whose message carries no part of the answer but its error code.
t.test('both token answer shapes, parsed', async (t) => {
  t.same(parseAnswer(200, '{"access_token":"a.b.c","expires_in":1800,"token_type":"Bearer","scope":"napi.api"}', 'h'), { accessToken: 'a.b.c', expiresIn: 1800 })
  t.same(parseAnswer(200, '{"Token":"x-y","TokenType":"bearer","ExpiresIn":3599}', 'h'), { accessToken: 'x-y', expiresIn: 3599 })
  t.same(parseAnswer(200, '{"access_token":"z"}', 'h'), { accessToken: 'z', expiresIn: undefined }, 'no lifetime: the store picks a safe one')
  const refusals: Array<[number, string, RegExp]> = [
    [400, '{"error":"invalid_client"}', /refused the client credentials \(invalid_client\)/],
    [400, '{"error":"invalid_scope"}', /refused the scope \(invalid_scope\)/],
    [500, '<html>secret-looking-body</html>', /^the token endpoint h answered 500$/],
    [200, 'not json', /without a JSON object/],
    [200, '{"access_token":"has space"}', /without a usable access_token/],
    [200, '{"access_token":"a\\r\\nx-injected: 1"}', /without a usable access_token/],
    [200, '{"access_token":"a","token_type":"mac"}', /not Bearer/]
  ]
  for (const [status, text, message] of refusals) t.throws(() => parseAnswer(status, text, 'h'), { code: 'TOKEN_FETCH_FAILED', message }, text)
})

t.test('the Workflow Studio shape from the mock, end to end; and the other shape for it too', async (t) => {
  const mock = await startMock(t)
  const { url, sidecar } = await startProxy(t, mock, { ...oauthEnv(mock), AUTH_ROUTES: '/wfs/=oauth2:workflow.studio.api' })
  t.ok(await waitFor(() => sidecar.readiness.ready))
  const token = sidecar.tokens?.current('workflow.studio.api')
  t.ok(token)
  t.equal(Math.round(((token?.expiresAt ?? 0) - (token?.obtainedAt ?? 0)) / 1000), 1800, 'ExpiresIn understood')
  t.equal((await call(client(t), `${url}/wfs/interpreter-v2/flow/f1`)).status, 200)

  mock.tokens.shape = 'napi'
  mock.tokens.revokeAll()
  t.equal((await call(client(t), `${url}/wfs/interpreter-v2/flow/f1`)).status, 200, 'after a 401, the snake_case shape is understood too')
})
