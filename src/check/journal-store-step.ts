import { readCa } from '../journal/open-store.js'
import { encryptionKey, storeLocation } from '../journal/store-location.js'
import type { Config } from '../config/schema.js'
import { fail, pass, type Step } from './check-types.js'

export const JOURNAL_KEY_ADVICE = 'The sidecars already using this store have another IDEMPOTENCY_ENCRYPTION_KEY: give every sidecar of the application the same key file. To change the key on purpose, restart them all with the new one and delete trulioo-sidecar:journal:key-check (docs/journal.md).'
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
    const [{ probeStore }, { deriveJournalKeys }] = await Promise.all([import('../journal/redis-store.js'), import('../journal/sealed-entry.js')])
    const { check } = deriveJournalKeys(encryptionKey(config, location) as Buffer)
    const started = performance.now()
    let found: Awaited<ReturnType<typeof probeStore>>
    try {
      found = await probeStore(location, ca, config.IDEMPOTENCY_STORE_TIMEOUT_MS, check)
    } catch (err) {
      return fail(`${location.shown}: ${(err as Error).message}`, JOURNAL_STORE_ADVICE, { store: location.shown })
    }
    const ms = Math.round(performance.now() - started)
    const data = { store: location.shown, server: found.server, ms, sameKey: found.sameKey ?? null }
    if (found.sameKey === false) return fail(`${location.shown} answered (${found.server}), but the sidecars using it have another IDEMPOTENCY_ENCRYPTION_KEY: this one would refuse every request with Idempotency-Key`, JOURNAL_KEY_ADVICE, data)
    const key = found.sameKey === true ? 'the sidecars using it have the same IDEMPOTENCY_ENCRYPTION_KEY' : 'no sidecar has used it lately'
    const passed = pass(`${location.shown} answered PING in ${ms} ms (${found.server}); ${key}`, data)
    // a warning on a pass: the store works, and may one day drop an entry in flight
    return found.evictionRisk === undefined ? passed : { ...passed, advice: found.evictionRisk }
  }
}
