import t from 'tap'
import { call, client, oauthEnv, startMock, startProxy, waitFor } from '../helpers/harness.js'

// Tokens that live 2 s, requests without pause for several lifetimes: each
// token is replaced before it ends, so the upstream never sees an expired one
// and no request sees a 401 or waits on a refresh. (The 60 s floor on a
// token's lifetime is lowered to 1 s so that real time can pass several.)
t.test('a token is refreshed before expiry: no 401 across several lifetimes under bounded load', async (t) => {
  const mock = await startMock(t, { tokenLifetimeSeconds: 2 })
  const { url, sidecar } = await startProxy(t, mock, oauthEnv(mock), { tokens: { firstBackoffMs: 100, minLifetimeMs: 1000 } })
  t.ok(await waitFor(() => sidecar.readiness.ready), 'ready with a token')
  const http = client(t, 8)
  const statuses = new Map<number, number>()
  const until = Date.now() + 6_500
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (Date.now() < until) {
      const res = await call(http, `${url}/v3/connection/testauthentication`)
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      await new Promise((resolve) => setImmediate(resolve))
    }
  }))
  t.same([...statuses.keys()], [200], `every answer was 200 (${statuses.get(200) ?? 0} requests)`)
  const napi = mock.tokens.calls.filter((c) => c.scope === 'napi.api')
  t.ok(napi.length >= 4, `several tokens were fetched (${napi.length})`)
  t.ok(napi.length <= 10, 'but only about one a second, not per request')
  t.equal(sidecar.tokens?.counters('napi.api').replays, 0, 'no replay was needed')
  const bearers = new Set(mock.requests.filter((r) => r.path.startsWith('/v3/')).map((r) => r.headers.authorization))
  t.ok(bearers.size >= 3, 'the requests used successive tokens')
})
