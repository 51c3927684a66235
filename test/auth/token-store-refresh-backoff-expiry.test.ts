import t from 'tap'
import { TokenFetchError } from '../../src/errors.js'
import type { TokenAnswer } from '../../src/auth/token-client.js'
import { DEFAULT_LIFETIME_S, TokenStore } from '../../src/auth/token-store.js'
import { FakeClock, settle } from '../helpers/fake-clock.js'

// The store's timing with the clock in the test's hands: refresh ahead of
// expiry, backoff with jitter while the old token serves, then
// TOKEN_UNAVAILABLE; no sleeps. The fetcher is a plain function: the store
// is tested here, the token endpoint in the integration tests.
interface Script { fail: boolean, expiresIn: unknown, calls: number }

function fetcher (script: Script): (scope: string) => Promise<TokenAnswer> {
  return async () => {
    script.calls++
    if (script.fail) throw new TokenFetchError('refused', 'the token endpoint answered 503')
    return { accessToken: `tok-${script.calls}`, expiresIn: script.expiresIn }
  }
}

function logs (): { lines: Array<{ level: string, message: string }>, log: { debug: (f: object, m: string) => void, warn: (f: object, m: string) => void } } {
  const lines: Array<{ level: string, message: string }> = []
  return { lines, log: { debug: (_f, message) => { lines.push({ level: 'debug', message }) }, warn: (_f, message) => { lines.push({ level: 'warn', message }) } } }
}

t.test('refreshed at 80 % of a long lifetime, and no later than 60 s before the end of a short one', async (t) => {
  for (const [lifetime, refreshAfter] of [[1800, 1440], [3599, 2879.2], [200, 140], [100, 50]] as const) {
    const clock = new FakeClock()
    const script: Script = { fail: false, expiresIn: lifetime, calls: 0 }
    const store = new TokenStore(['napi.api'], fetcher(script), { clock })
    store.start()
    await settle()
    const token = store.current('napi.api')
    t.ok(token, `${lifetime} s: a token after start`)
    t.equal(((token?.refreshAt ?? 0) - clock.now()) / 1000, refreshAfter, `${lifetime} s: refresh after ${refreshAfter} s`)
    await clock.advance(refreshAfter * 1000 - 1)
    t.equal(script.calls, 1, 'not refreshed early')
    await clock.advance(1)
    t.equal(script.calls, 2, 'refreshed on time')
    t.equal(store.current('napi.api')?.authorization, 'Bearer tok-2', 'the new token is used from then on')
    store.close()
  }
})

t.test('a failed refresh is retried with growing, jittered backoff while the old token serves; then TOKEN_UNAVAILABLE', async (t) => {
  const clock = new FakeClock()
  const script: Script = { fail: false, expiresIn: 100, calls: 0 }
  const { lines, log } = logs()
  const store = new TokenStore(['napi.api'], fetcher(script), { clock, firstBackoffMs: 1000, maxBackoffMs: 8000, random: () => 1, log })
  store.start()
  await settle()
  const first = store.current('napi.api')
  script.fail = true
  await clock.advance(50_000) // the refresh, which fails
  t.equal(script.calls, 2)
  const gaps: number[] = []
  let last = clock.now()
  while (clock.now() < (first?.expiresAt ?? 0) - 1) {
    t.equal(store.current('napi.api'), first, 'the old token still serves')
    t.equal(await store.get('napi.api'), first, 'and a request gets it without waiting')
    const before = script.calls
    const next = clock.nextAt as number
    await clock.advance(next - clock.now())
    if (script.calls > before) { gaps.push(clock.now() - last); last = clock.now() }
  }
  t.same(gaps.slice(0, 5), [1000, 2000, 4000, 8000, 8000], 'backoff doubles up to its maximum')
  await clock.advance((first?.expiresAt ?? 0) - clock.now())
  t.equal(store.current('napi.api'), undefined, 'expired: no token held')
  await t.rejects(store.get('napi.api'), { code: 'TOKEN_UNAVAILABLE', message: /scope napi\.api: the token endpoint answered 503/ })
  t.match(store.missing('napi.api'), /answered 503/, 'readiness says why')
  t.ok(lines.some((l) => l.level === 'warn' && /the current token serves until it expires/.test(l.message)))
  script.fail = false
  await clock.advance(clock.nextAt as number - clock.now())
  t.equal(store.current('napi.api')?.authorization, `Bearer tok-${script.calls}`, 'recovered at the next retry')
  store.close()
})

t.test('jitter spreads retries between half and all of the backoff', async (t) => {
  for (const [random, expected] of [[0, 500], [0.5, 750]] as const) {
    const clock = new FakeClock()
    const script: Script = { fail: true, expiresIn: 100, calls: 0 }
    const store = new TokenStore(['s'], fetcher(script), { clock, firstBackoffMs: 1000, random: () => random })
    store.start()
    await settle()
    t.equal((clock.nextAt as number) - clock.now(), expected)
    store.close()
  }
})

t.test('missing or absurd expires_in: a conservative lifetime, logged once', async (t) => {
  for (const expiresIn of [undefined, 0, -5, 'soon', 86_401, Number.NaN]) {
    const clock = new FakeClock()
    const script: Script = { fail: false, expiresIn, calls: 0 }
    const { lines, log } = logs()
    const store = new TokenStore(['napi.api'], fetcher(script), { clock, log })
    store.start()
    await settle()
    t.equal(((store.current('napi.api')?.expiresAt ?? 0) - clock.now()) / 1000, DEFAULT_LIFETIME_S, `${String(expiresIn)}: ${DEFAULT_LIFETIME_S} s`)
    await clock.advance(DEFAULT_LIFETIME_S * 1000)
    t.equal(script.calls, 2, 'refreshed')
    t.equal(lines.filter((l) => /no usable lifetime/.test(l.message)).length, 1, `${String(expiresIn)}: logged once`)
    store.close()
  }
  const clock = new FakeClock()
  const store = new TokenStore(['s'], fetcher({ fail: false, expiresIn: '3599', calls: 0 }), { clock })
  store.start()
  await settle()
  t.equal(((store.current('s')?.expiresAt ?? 0) - clock.now()) / 1000, 3599, 'a lifetime sent as a numeric string is understood')
  store.close()
})

t.test('requests with no token join one fetch; after a failure they get 503 at once until minRetryMs has passed', async (t) => {
  const clock = new FakeClock()
  let release: (() => void) | undefined
  let calls = 0
  let fail = true
  const store = new TokenStore(['s'], async () => {
    calls++
    await new Promise<void>((resolve) => { release = resolve })
    if (fail) throw new TokenFetchError('unreachable', 'the token endpoint cannot be reached (ECONNREFUSED)')
    return { accessToken: 'x', expiresIn: 60 }
  }, { clock, minRetryMs: 1000, firstBackoffMs: 30_000 })
  const waiting = Array.from({ length: 200 }, async () => await store.get('s').then(() => 'ok', (err: { code: string }) => err.code))
  await settle()
  t.equal(calls, 1, '200 requests, one fetch')
  release?.()
  t.same(new Set(await Promise.all(waiting)), new Set(['TOKEN_UNAVAILABLE']), 'all told the fetch failed')
  await t.rejects(store.get('s'), { code: 'TOKEN_UNAVAILABLE' }, 'right after a failure: refused without a call')
  t.equal(calls, 1)
  await clock.advance(1000)
  fail = false
  const again = store.get('s')
  await settle()
  t.equal(calls, 2, 'after minRetryMs a request starts a fetch')
  release?.()
  t.equal((await again).authorization, 'Bearer x')
  store.close()
})

t.test('a 401 on the token held drops it and fetches once; on a token already replaced, the new one is the answer', async (t) => {
  const clock = new FakeClock()
  const script: Script = { fail: false, expiresIn: 1800, calls: 0 }
  const store = new TokenStore(['s'], fetcher(script), { clock })
  store.start()
  await settle()
  const stale = store.current('s') as NonNullable<ReturnType<typeof store.current>>
  const renewed = await Promise.all(Array.from({ length: 20 }, async () => await store.renewAfterRejection(stale)))
  t.equal(script.calls, 2, 'twenty 401s, one new token')
  t.ok(renewed.every((tok) => tok.authorization === 'Bearer tok-2'))
  t.equal((await store.renewAfterRejection(stale)).authorization, 'Bearer tok-2', 'a late 401 on the old token gets the new one, no call')
  t.equal(script.calls, 2)
  store.reset()
  await settle()
  t.equal(script.calls, 3, 'a new secret: tokens dropped and fetched again')
  t.equal(store.current('s')?.authorization, 'Bearer tok-3')
  store.close()
})
