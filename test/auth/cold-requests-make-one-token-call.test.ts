import t from 'tap'
import { call, client, oauthEnv, startMock, startProxy } from '../helpers/harness.js'

// 200 requests at once and no token yet: they all wait on one token call.
t.test('200 concurrent cold requests make exactly one token call', async (t) => {
  const mock = await startMock(t)
  mock.tokens.delayMs = 400
  const { url, sidecar } = await startProxy(t, mock, { ...oauthEnv(mock), AUTH_ROUTES: '/v3/=oauth2:napi.api,/=basic' })
  t.equal(sidecar.tokens?.current('napi.api'), undefined, 'no token when the requests start')
  const http = client(t, 256)
  const answers = await Promise.all(Array.from({ length: 200 }, async () => await call(http, `${url}/v3/connection/testauthentication`)))
  t.same([...new Set(answers.map((a) => a.status))], [200], 'all 200')
  t.equal(mock.tokens.calls.length, 1, 'one token call')
  t.equal(mock.accepted.length, 200, 'the mock accepted the Bearer token on all 200')
})
