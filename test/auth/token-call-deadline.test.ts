import t from 'tap'
import { call, client, freePort, oauthEnv, startMock, startProxy } from '../helpers/harness.js'
import { FakeClock, settle } from '../helpers/fake-clock.js'
import { STALLS, startStallingTokenEndpoint } from '../helpers/stalling-token-endpoint.js'

// A token endpoint that stalls (never finishes TLS, never answers, or drips a
// valid answer at a byte a second) used to hold a cold request on an OAuth2
// route for as long as the application waited, with no warn line and nothing
// in /status. Each call now has one deadline, TOKEN_TIMEOUT_MS, over every
// phase: at it the call is abandoned, logged and shown, and the waiting
// request gets 503 TOKEN_UNAVAILABLE. The sidecar's token clock is a
// FakeClock: the deadline passes when the test says, not after a sleep.
const TIMEOUT_MS = 10_000

for (const stall of STALLS) {
  t.test(`token endpoint stalls at ${stall}: the call ends at TOKEN_TIMEOUT_MS and the waiting request gets 503`, { timeout: 20_000 }, async (t) => {
    const mock = await startMock(t)
    const endpoint = await startStallingTokenEndpoint(t, stall)
    const clock = new FakeClock()
    // the default AUTH_ROUTES: /v3/ and /wfs/ both take tokens, so two calls stall
    const { url, sidecar, logs } = await startProxy(t, mock, {
      ...oauthEnv(mock),
      TOKEN_URL: endpoint.url,
      TOKEN_TIMEOUT_MS: String(TIMEOUT_MS),
      // long, so that only the deadline can end a stalled handshake
      CONNECT_TIMEOUT_MS: '120000',
      ADMIN_PORT: String(await freePort())
    }, { tokens: { clock } })
    await endpoint.waitForStalled(2)
    const http = client(t)
    const before = sidecar.lifecycle.inFlight
    const pending = call(http, `${url}/v3/connection/testauthentication`)
    // the request is in flight, waiting on the token call under way
    while (sidecar.lifecycle.inFlight === before) await settle()
    await settle()

    await clock.advance(TIMEOUT_MS - 1)
    const early = await Promise.race([pending.then(() => 'answered'), settle().then(() => 'waiting')])
    t.equal(early, 'waiting', 'not cut before the deadline')
    t.equal(logs.lines.filter((l) => /not obtained/.test(String(l.msg))).length, 0, 'nothing logged before the deadline')

    await clock.advance(1)
    const res = await pending
    t.equal(res.status, 503)
    t.equal(res.headers['x-sidecar-error'], 'TOKEN_UNAVAILABLE')
    t.match(res.json().error.message, /scope napi\.api: the token endpoint 127\.0\.0\.1:\d+ did not answer within TOKEN_TIMEOUT_MS \(10000 ms\)/)
    t.equal(mock.requests.filter((r) => r.path.startsWith('/v3/')).length, 0, 'the upstream was not called')

    const warned = logs.lines.filter((l) => l.level === 'warn' && /^OAuth2 token for napi\.api not obtained: .*TOKEN_TIMEOUT_MS/.test(String(l.msg)))
    t.equal(warned.length, 1, 'one warn line for the scope')
    t.equal(warned[0]?.reason, 'timeout')
    if (stall === 'body') t.match(warned[0]?.msg, /its 200 answer was still arriving/, 'says the answer had begun')
    const status = (await call(http, `${sidecar.adminUrl as string}/status`)).json()
    t.match(status.auth.tokens['napi.api'].lastError, /TOKEN_TIMEOUT_MS \(10000 ms\)/, '/status shows the last error')
    t.equal(status.auth.tokens['napi.api'].held, false)
  })
}
