import t from 'tap'
import { CLIENT_SECRET, PASSWORD, call, client, freePort, oauthEnv, startMock, startProxy, USERNAME, waitFor } from '../helpers/harness.js'

// Every log line at debug, /status, /readyz and /metrics, after Basic, Bearer
// and API-key calls, a replay after 401, a refused secret and a failing
// endpoint: no token, client secret, API key or Basic value anywhere.
t.test('no token, client secret or API key in any log line, /status, /readyz or /metrics', async (t) => {
  const apiKey = 'test-api-key-Rr81zQ'
  const mock = await startMock(t, { apiKey, tokenLifetimeSeconds: 3 })
  const { url, sidecar, logs } = await startProxy(t, mock, {
    ...oauthEnv(mock),
    TRULIOO_API_KEY: apiKey,
    AUTH_ROUTES: '/v3/=oauth2:napi.api,/wfs/=oauth2:workflow.studio.api,/selfserve/=api-key,/=basic',
    ADMIN_PORT: String(await freePort()),
    LOG_LEVEL: 'debug'
  }, { tokens: { firstBackoffMs: 100, maxBackoffMs: 200, minRetryMs: 0, minLifetimeMs: 1000 } })
  const http = client(t)
  const admin = sidecar.adminUrl as string
  t.ok(await waitFor(() => sidecar.readiness.ready))

  await call(http, `${url}/connection/v1/testauthentication`)
  await call(http, `${url}/v3/connection/testauthentication`, { headers: { authorization: 'Bearer app-token-Zx' } })
  await call(http, `${url}/wfs/interpreter-v2/flow/f`, { method: 'POST', body: '{}' })
  await call(http, `${url}/selfserve/x`)
  mock.tokens.revokeAll()
  await call(http, `${url}/v3/connection/testauthentication`)
  mock.tokens.fail = 'invalid_client'
  t.ok(await waitFor(() => mock.tokens.calls.some((c) => c.status === 400)), 'a refused token call happened')
  mock.tokens.fail = 'reset'
  t.ok(await waitFor(() => mock.tokens.calls.some((c) => c.status === 0)), 'a dropped token call happened')
  await waitFor(() => !sidecar.readiness.ready, 6_000)
  await call(http, `${url}/v3/connection/testauthentication`)
  const exposed = [
    logs.text,
    (await call(http, `${admin}/status`)).text,
    (await call(http, `${admin}/readyz`)).text,
    (await call(http, `${admin}/metrics`)).text
  ].join('\n')

  const secrets = [
    CLIENT_SECRET, apiKey, PASSWORD, Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64'),
    ...mock.tokens.calls.length > 0 ? [...mock.tokens.issued.keys()] : [],
    ...mock.requests.map((r) => r.headers.authorization).filter((v): v is string => typeof v === 'string' && v.startsWith('Bearer ') && v !== 'Bearer app-token-Zx').map((v) => v.slice(7))
  ]
  t.ok(secrets.length > 6, `checking ${secrets.length} secrets, tokens included`)
  for (const secret of secrets) t.notOk(exposed.includes(secret), `${secret.slice(0, 4)}… appears nowhere`)
  t.notOk(exposed.includes('app-token-Zx'), 'nor the app\'s own token')
  t.ok(logs.lines.some((l) => /OAuth2 token for napi\.api obtained/.test(String(l.msg))), 'the token lines were captured')
  t.ok(logs.lines.some((l) => l.level === 'warn' && /invalid_client/.test(String(l.msg))), 'the refusal was logged')
})
