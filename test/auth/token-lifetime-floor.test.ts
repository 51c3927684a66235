import pino from 'pino'
import t from 'tap'
import type { TokenAnswer } from '../../src/auth/token-client.js'
import { MIN_LIFETIME_S, TokenStore } from '../../src/auth/token-store.js'
import { createLogger } from '../../src/logger.js'
import { call, client, LogSink, oauthEnv, startMock, startProxy, waitFor } from '../helpers/harness.js'
import { FakeClock, settle } from '../helpers/fake-clock.js'

// An absurdly short expires_in (0.001 s) used to make about a thousand token
// calls and 800 info lines a second. A lifetime under 60 s now counts as
// 60 s, said in one warn line per scope, and the "obtained" line is debug.
const WINDOW_S = 600

// (≤ 0 is "no usable lifetime", 300 s: token-store-refresh-backoff-expiry.test.ts)
t.test('expires_in under 60 s: one call per scope every 30 s over ten minutes, one warn line per scope, no info lines', async (t) => {
  for (const expiresIn of [0.001, 1, 59.9]) {
    const clock = new FakeClock()
    const logs = new LogSink()
    const logger = createLogger('debug', pino.multistream([{ stream: logs, level: 'trace' }]))
    let calls = 0
    const fetch = async (): Promise<TokenAnswer> => { calls++; return { accessToken: `tok-${calls}`, expiresIn } }
    const store = new TokenStore(['napi.api', 'workflow.studio.api'], fetch, { clock, log: logger })
    store.start()
    await settle()
    const token = store.current('napi.api')
    t.equal(((token?.expiresAt ?? 0) - clock.now()) / 1000, MIN_LIFETIME_S, `${expiresIn} s: held for ${MIN_LIFETIME_S} s`)
    // a second at a time, so that a loop shows up (and ends the test) within the first one
    for (let s = 0; s < WINDOW_S && calls <= 100; s++) await clock.advance(1000)
    // refreshed at half of 60 s: one call per scope at start, then one per 30 s
    const most = 2 * (1 + WINDOW_S / 30)
    t.ok(calls <= most, `${expiresIn} s: ${calls} token calls in ${WINDOW_S} s (at most ${most})`)
    t.ok(calls >= 2 * (WINDOW_S / 60), `${expiresIn} s: still refreshed before each 60 s ends`)
    const lines = logs.lines
    const warned = lines.filter((l) => l.level === 'warn')
    t.same(warned.map((l) => l.scope).sort(), ['napi.api', 'workflow.studio.api'], `${expiresIn} s: exactly one warn line per scope`)
    t.match(warned[0]?.msg, new RegExp(`lifetime of ${expiresIn} s: assuming 60 s`))
    t.equal(lines.filter((l) => l.level === 'info').length, 0, 'no info line')
    t.equal(lines.filter((l) => l.level === 'debug' && /^OAuth2 token for .* obtained$/.test(String(l.msg))).length, calls, 'each token obtained, at debug')
    store.close()
  }
})

t.test('through a sidecar: expires_in 0.001 from the endpoint, twenty requests, one token call', async (t) => {
  const mock = await startMock(t)
  mock.tokens.expiresIn = 0.001
  const { url, sidecar, logs } = await startProxy(t, mock, { ...oauthEnv(mock), AUTH_ROUTES: '/v3/=oauth2:napi.api,/=basic' })
  t.ok(await waitFor(() => sidecar.readiness.ready), 'ready')
  const http = client(t)
  for (let i = 0; i < 20; i++) t.equal((await call(http, `${url}/v3/connection/testauthentication`)).status, 200)
  t.equal(mock.tokens.calls.length, 1, 'one token call, not one every half millisecond')
  t.equal(logs.lines.filter((l) => l.level === 'warn' && /lifetime of 0\.001 s/.test(String(l.msg))).length, 1, 'one warn line')
  t.equal(logs.lines.filter((l) => l.level === 'info' && /OAuth2 token/.test(String(l.msg))).length, 0, 'the token line is not at info')
})
