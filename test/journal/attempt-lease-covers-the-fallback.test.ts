import t from 'tap'
import type { Config } from '../../src/config/schema.js'
import { MAX_MEMBERS } from '../../src/identity/identity-members.js'
import { attemptLeaseMs } from '../../src/journal/open-store.js'

// How long a shared store's in-flight marker holds before a retry takes it as
// abandoned: the longest an attempt can take. With TLS_IDENTITIES_DIR a refused
// handshake falls back to each other member, one connect each: a slow but live
// attempt must not look abandoned (a spurious OUTCOME_UNKNOWN on another sidecar).
const base = {
  TOKEN_TIMEOUT_MS: 10_000,
  UPSTREAM_QUEUE_TIMEOUT_MS: 1_000,
  CONNECT_TIMEOUT_MS: 7_000,
  UPSTREAM_TIMEOUT_MS: 100_000,
  UPSTREAM_BODY_TIMEOUT_MS: 30_000
} as unknown as Config

t.test('one identity: a token, then two exchanges (a 401 replayed once)', async (t) => {
  t.equal(attemptLeaseMs(base), 10_000 + 2 * (1_000 + 7_000 + 100_000 + 30_000))
})

t.test('a set of identities: a connect more for each member the fallback may try', async (t) => {
  const set = { ...base, TLS_IDENTITIES_DIR: '/etc/trulioo/identities' } as unknown as Config
  t.equal(MAX_MEMBERS, 5)
  t.equal(attemptLeaseMs(set) - attemptLeaseMs(base), (MAX_MEMBERS - 1) * 7_000)
})
