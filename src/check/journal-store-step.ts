import { readCa } from '../journal/open-store.js'
import { storeLocation } from '../journal/store-location.js'
import type { Config } from '../config/schema.js'
import { fail, pass, type Step } from './check-types.js'

export const JOURNAL_STORE_ADVICE = 'The shared idempotency store does not answer: check IDEMPOTENCY_STORE (host, port, or socket path; rediss:// for a TLS port), its password (in the URL or IDEMPOTENCY_STORE_PASSWORD_FILE), IDEMPOTENCY_STORE_CA_FILE for a private CA, and that this machine may reach it. While it is down, requests with Idempotency-Key get 503 IDEMPOTENCY_STORE_UNAVAILABLE; requests without one are not affected.'

/** The store's step, only with a shared store (the memory store has nothing to reach). */
export function journalStoreSteps (config: Readonly<Config>): Step[] {
  return storeLocation(config).kind === 'memory' ? [] : [journalStoreStep]
}

/**
 * The idempotency journal's shared store (IDEMPOTENCY_STORE): reached with
 * the sidecar's own connection settings, PINGed, named. The Redis client is
 * loaded only here, and only when a shared store is set.
 */
const journalStoreStep: Step = {
  id: 'idempotency-store',
  title: 'idempotency store reachable',
  async run (context) {
    const { config } = context
    const location = storeLocation(config)
    if (location.kind === 'memory') throw new Error('the journal store step runs only with a shared store')
    const ca = config.IDEMPOTENCY_STORE_CA_FILE === undefined ? undefined : readCa(config.IDEMPOTENCY_STORE_CA_FILE)
    const { probeStore } = await import('../journal/redis-store.js')
    const started = performance.now()
    try {
      const { server } = await probeStore(location, ca, config.IDEMPOTENCY_STORE_TIMEOUT_MS)
      const ms = Math.round(performance.now() - started)
      return pass(`${location.shown} answered PING in ${ms} ms (${server}); kept answers are encrypted with IDEMPOTENCY_ENCRYPTION_KEY`, { store: location.shown, server, ms })
    } catch (err) {
      return fail(`${location.shown}: ${(err as Error).message}`, JOURNAL_STORE_ADVICE, { store: location.shown })
    }
  }
}
