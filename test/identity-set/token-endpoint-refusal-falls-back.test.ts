import t from 'tap'
import { call, client, freePort, oauthEnv, startMock, startProxy, waitFor } from '../helpers/harness.js'
import { identitySetDir, seenSerial } from '../helpers/identity-set-dir.js'

// OAuth2 routes: Trulioo's token endpoint is behind the same mutual TLS. When
// it refuses the newest member, that member is marked rejected as the proxy
// would mark it, the token client goes on with the next member, and NAPI v3
// calls work: no route is left without a token while a member works.
t.test('a member the token endpoint refuses falls back for the token fetch too', async (t) => {
  const mock = await startMock(t, { handshakeAlerts: true })
  const set = await identitySetDir(t, [{ name: 'old', fromDays: -10 }])
  const fresh = await set.add({ name: 'new', fromDays: -1 })
  mock.refuse(fresh.serialNumber, 'unknown_ca')
  const { sidecar, url } = await startProxy(t, mock, {
    ...oauthEnv(mock),
    AUTH_ROUTES: '/v3/=oauth2:napi.api,/=basic',
    ADMIN_PORT: String(await freePort()),
    TLS_CERT_FILE: undefined,
    TLS_KEY_FILE: undefined,
    TLS_IDENTITIES_DIR: set.root
  }, { tokens: { firstBackoffMs: 50, maxBackoffMs: 100, minRetryMs: 0 } })
  t.ok(await waitFor(() => sidecar.readiness.ready), 'ready: a token was fetched with the member that works')
  t.equal(sidecar.store.memberStatus().find((m) => m.name === 'new')?.state, 'rejected')
  t.ok(mock.tokens.calls.some((c) => c.status === 200), 'the token endpoint answered')
  const res = await call(client(t), `${url}/v3/connection/testauthentication`)
  t.equal(res.status, 200)
  t.equal(mock.requests.at(-1)?.clientSerial, seenSerial(set.members.old!.cert))
})
