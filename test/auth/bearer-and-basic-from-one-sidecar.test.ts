import t from 'tap'
import { call, client, oauthEnv, PASSWORD, startMock, startProxy, USERNAME, waitFor } from '../helpers/harness.js'

// One sidecar with both kinds of credentials: NAPI v1 gets Basic, NAPI v3 and
// Workflow Studio each get a Bearer token of their own scope, and the
// application's own Authorization is dropped on every one of these routes.
t.test('Bearer on /v3/ and /wfs/ with the right scope, Basic on /connection/v1/, from one sidecar', async (t) => {
  const mock = await startMock(t)
  const { url, sidecar } = await startProxy(t, mock, oauthEnv(mock))
  const http = client(t)
  const basic = 'Basic ' + Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')
  const forged = { authorization: 'Bearer forged-by-the-app', 'x-trulioo-api-key': 'forged-key' }

  const v1 = await call(http, `${url}/connection/v1/testauthentication`, { headers: forged })
  t.equal(v1.status, 200, 'v1 accepted')
  const v3 = await call(http, `${url}/v3/connection/testauthentication`, { headers: forged })
  t.equal(v3.status, 200, 'v3 accepted with a Bearer token')
  const wfs = await call(http, `${url}/wfs/interpreter-v2/flow/abc123`, { method: 'POST', body: '{"a":1}', headers: { ...forged, 'content-type': 'application/json' } })
  t.equal(wfs.status, 200, 'Workflow Studio accepted with a Bearer token')
  t.same(wfs.json(), { path: '/wfs/interpreter-v2/flow/abc123', scope: 'workflow.studio.api', bodyBytes: 7 }, 'the body arrived whole')

  const seen = (path: string) => mock.requests.find((r) => r.path.startsWith(path))
  t.equal(seen('/connection/v1/')?.headers.authorization, basic, 'v1 got the Basic value')
  const v3Auth = seen('/v3/')?.headers.authorization as string
  const wfsAuth = seen('/wfs/')?.headers.authorization as string
  t.match(v3Auth, /^Bearer \S+$/)
  t.match(wfsAuth, /^Bearer \S+$/)
  t.not(v3Auth, wfsAuth, 'one token per scope')
  t.equal(mock.tokens.issued.get(v3Auth.slice(7))?.scope, 'napi.api')
  t.equal(mock.tokens.issued.get(wfsAuth.slice(7))?.scope, 'workflow.studio.api')
  for (const r of mock.requests) t.equal(r.headers['x-trulioo-api-key'], undefined, `${r.path}: the app's API key was dropped`)
  t.same(mock.tokens.calls.map((c) => c.scope).sort(), ['napi.api', 'workflow.studio.api'], 'one token call per scope')
  t.ok(await waitFor(() => sidecar.readiness.ready), 'ready once both tokens are held')
})
