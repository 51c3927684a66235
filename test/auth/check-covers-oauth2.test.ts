import t from 'tap'
import { runCheck } from '../../src/check/run-check.js'
import { baseEnv, CLIENT_SECRET, oauthEnv, startMock } from '../helpers/harness.js'

// `check` with client credentials: per scope the routes use, the token
// endpoint answers, accepts the credentials and the token works upstream.
// Without client credentials the steps do not appear at all.
const TOKEN_STEPS = ['token-endpoint:napi.api', 'token-credentials:napi.api', 'token-call:napi.api', 'token-endpoint:workflow.studio.api', 'token-credentials:workflow.studio.api', 'token-call:workflow.studio.api']

t.test('check: token steps per scope pass against the mock', async (t) => {
  const mock = await startMock(t)
  const report = await runCheck({ env: { ...await baseEnv(mock), ...oauthEnv(mock) }, envFile: false })
  t.ok(report.ok, JSON.stringify(report.steps, null, 2))
  t.same(report.steps.slice(-6).map((s) => s.id), TOKEN_STEPS)
  const byId = Object.fromEntries(report.steps.map((s) => [s.id, s]))
  t.match(byId['token-credentials:napi.api']?.detail, /a token for napi\.api was issued, valid 1800 s/)
  t.match(byId['token-call:napi.api']?.detail, /HTTP 200 "Hello test-client-7f3a"/)
  t.equal(byId['token-call:workflow.studio.api']?.status, 'skip')
  t.equal(mock.accepted.filter((p) => p === '/v3/connection/testauthentication').length, 1, 'the v3 call reached the mock with a valid token')
  t.notOk(JSON.stringify(report).includes(CLIENT_SECRET), 'the secret is not in the report')
  for (const token of mock.tokens.issued.keys()) t.notOk(JSON.stringify(report).includes(token), 'nor a token')
})

t.test('check: invalid_client is named in plain words, and the steps after it do not run', async (t) => {
  const mock = await startMock(t)
  const report = await runCheck({ env: { ...await baseEnv(mock), ...oauthEnv(mock), TRULIOO_CLIENT_SECRET: 'wrong', AUTH_ROUTES: '/v3/=oauth2:napi.api,/=basic' }, envFile: false })
  t.equal(report.ok, false)
  const failed = report.steps.find((s) => s.status === 'fail')
  t.equal(failed?.id, 'token-credentials:napi.api')
  t.match(failed?.detail, /refused the client credentials \(invalid_client\)/)
  t.match(failed?.advice, /does not accept TRULIOO_CLIENT_ID \/ TRULIOO_CLIENT_SECRET \(invalid_client\)/)
  t.same(report.notRun, ['token-call:napi.api'])
})

t.test('check: an unreachable token endpoint fails the first token step', async (t) => {
  const mock = await startMock(t)
  const report = await runCheck({ env: { ...await baseEnv(mock), ...oauthEnv(mock), TOKEN_URL: 'https://127.0.0.1:1/connect/token', CONNECT_TIMEOUT_MS: '2000' }, envFile: false })
  const failed = report.steps.find((s) => s.status === 'fail')
  t.equal(failed?.id, 'token-endpoint:napi.api')
  t.match(failed?.detail, /cannot be reached \(ECONNREFUSED\)/)
})

t.test('check: no client credentials, no token steps', async (t) => {
  const mock = await startMock(t)
  const report = await runCheck({ env: await baseEnv(mock), envFile: false })
  t.ok(report.ok)
  t.notOk(report.steps.some((s) => s.id.startsWith('token-')))
})
