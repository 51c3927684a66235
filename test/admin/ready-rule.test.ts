import t from 'tap'
import type { TokenStore } from '../../src/auth/token-store.js'
import type { IdentityStore } from '../../src/identity/identity-store.js'
import { Lifecycle } from '../../src/lifecycle.js'
import { Readiness } from '../../src/readiness.js'
import { FakeClock } from '../helpers/fake-clock.js'

// The ready rule, once, as a table: every combination of its clauses, and
// what /readyz's checks, `ready` and a request's admission say for each.
const NOT_AFTER = Date.UTC(2030, 0, 1)
const store = { identity: { info: { notAfter: new Date(NOT_AFTER), subject: 'CN=x', serialNumber: '01' } } } as unknown as IdentityStore

function tokens (held: boolean): TokenStore {
  return {
    scopes: ['verify'],
    missing: () => held ? undefined : 'the token endpoint refused the client',
    status: () => ({ verify: { expiresAt: '2030-01-01T00:00:00.000Z' } })
  } as unknown as TokenStore
}

interface Row {
  expired: boolean
  draining: boolean
  /** undefined: STARTUP_CHECK off */
  startup: boolean | undefined
  /** undefined: no OAuth2 route */
  token: boolean | undefined
}
const rows: Row[] = []
for (const expired of [false, true]) {
  for (const draining of [false, true]) {
    for (const startup of [undefined, false, true]) {
      for (const token of [undefined, false, true]) rows.push({ expired, draining, startup, token })
    }
  }
}

/** What the rule says, written independently of the code. */
function expected (row: Row): { ready: boolean, refusal: string | undefined, failing: string[] } {
  const failing = [
    ...(row.expired ? ['certificate_valid'] : []),
    ...(row.draining ? ['not_draining'] : []),
    ...(row.startup === false ? ['startup_check'] : []),
    ...(row.token === false ? ['token:verify'] : [])
  ]
  // a request meets draining first, then expiry, then the start-up check; a missing token refuses only its routes
  const refusal = row.draining ? 'SHUTTING_DOWN' : row.expired || row.startup === false ? 'NOT_READY' : undefined
  return { ready: failing.length === 0, refusal, failing }
}

for (const row of rows) {
  const name = `expired=${row.expired} draining=${row.draining} startup=${String(row.startup)} token=${String(row.token)}`
  t.test(name, async (t) => {
    const clock = new FakeClock(row.expired ? NOT_AFTER + 1 : NOT_AFTER - 1)
    const lifecycle = new Lifecycle(clock)
    if (row.draining) lifecycle.drain()
    if (row.startup !== undefined) lifecycle.startupCheckRequired()
    if (row.startup === true) lifecycle.startupCheckSucceeded()
    const readiness = new Readiness(store, lifecycle.facts, clock, row.token === undefined ? undefined : tokens(row.token))
    const checks = readiness.checks()
    const want = expected(row)
    t.same({ ready: readiness.ready, refusal: readiness.refusal()?.code, failing: checks.filter((c) => !c.ok).map((c) => c.name) }, want)
    t.equal(readiness.ready, checks.every((c) => c.ok), '`ready` is /readyz\'s answer')
    t.same(checks.map((c) => c.name), ['identity', 'certificate_valid', 'not_draining',
      ...(row.startup === undefined ? [] : ['startup_check']), ...(row.token === undefined ? [] : ['token:verify'])], 'the checks, in order')
  })
}
