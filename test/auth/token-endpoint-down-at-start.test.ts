import t from 'tap'
import { call, client, freePort, oauthEnv, startMock, startProxy, waitFor } from '../helpers/harness.js'

// The token endpoint fails at start-up: the sidecar is not ready and says
// which scope lacks a token and why; v3 requests get 503 TOKEN_UNAVAILABLE
// without reaching the upstream, v1 keeps working; once the endpoint
// recovers a retry gets the token and the sidecar becomes ready.
t.test('token endpoint down at start-up: not ready, then ready once it recovers', async (t) => {
  const mock = await startMock(t)
  mock.tokens.fail = 'unavailable'
  const { url, sidecar } = await startProxy(t, mock, { ...oauthEnv(mock), ADMIN_PORT: String(await freePort()) }, { tokens: { firstBackoffMs: 200, maxBackoffMs: 400, minRetryMs: 60_000 } })
  const http = client(t)
  const admin = sidecar.adminUrl as string
  t.ok(await waitFor(() => mock.tokens.calls.length >= 2), 'the token calls were made and failed')

  const readyz = await call(http, `${admin}/readyz`)
  t.equal(readyz.status, 503, 'not ready')
  const check = (readyz.json().checks as Array<{ name: string, ok: boolean, detail: string }>).find((c) => c.name === 'token:napi.api')
  t.equal(check?.ok, false)
  t.match(check?.detail, /napi\.api.*answered 503 \(temporarily_unavailable\)/, 'which scope and why')
  const status = (await call(http, `${admin}/status`)).json()
  t.equal(status.auth.tokens['napi.api'].held, false)
  t.match(status.auth.tokens['napi.api'].lastError, /503/)

  const before = mock.requests.filter((r) => r.path.startsWith('/v3/')).length
  const refused = await call(http, `${url}/v3/connection/testauthentication`)
  t.equal(refused.status, 503)
  t.equal(refused.headers['x-sidecar-error'], 'TOKEN_UNAVAILABLE')
  t.match(refused.json().error.message, /scope napi\.api/)
  t.equal(mock.requests.filter((r) => r.path.startsWith('/v3/')).length, before, 'the upstream was not called')
  t.equal((await call(http, `${url}/connection/v1/testauthentication`)).status, 200, 'v1 (Basic) is not held up')

  mock.tokens.fail = undefined
  t.ok(await waitFor(() => sidecar.readiness.ready), 'ready once the endpoint recovers')
  t.equal((await call(http, `${admin}/readyz`)).status, 200)
  t.equal((await call(http, `${url}/v3/connection/testauthentication`)).status, 200, 'v3 works')
  const metrics = (await call(http, `${admin}/metrics`)).text
  t.match(metrics, /^trulioo_sidecar_token_fetches_total\{scope="napi\.api",outcome="failure"\} [1-9]\d*$/m)
  t.match(metrics, /^trulioo_sidecar_token_fetches_total\{scope="napi\.api",outcome="success"\} 1$/m)
  t.match(metrics, /^trulioo_sidecar_token_expiration_timestamp_seconds\{scope="napi\.api"\} [1-9]\d+$/m)
  t.match(metrics, /^trulioo_sidecar_errors_total\{code="TOKEN_UNAVAILABLE"\} 1$/m)
})

t.test('refused client credentials are named in plain words', async (t) => {
  const mock = await startMock(t)
  const { sidecar } = await startProxy(t, mock, { ...oauthEnv(mock), TRULIOO_CLIENT_SECRET: 'not-the-secret' }, { tokens: { firstBackoffMs: 60_000 } })
  t.ok(await waitFor(() => mock.tokens.calls.length >= 2))
  const check = sidecar.readiness.checks().find((c) => c.name === 'token:napi.api')
  t.match(check?.detail, /refused the client credentials \(invalid_client\): TRULIOO_CLIENT_ID or TRULIOO_CLIENT_SECRET is wrong/)
})
