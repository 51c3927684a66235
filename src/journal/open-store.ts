import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import type { Config } from '../config/schema.js'
import { describeFsError, readFileSafely } from '../config/read-file-safely.js'
import { ConfigError } from '../errors.js'
import { pemCertificates } from '../tls-trust.js'
import type { SharedJournalStore, StoreHealth } from './journal-store.js'
import { encryptionKey, storeLocation } from './store-location.js'
import { MAX_MEMBERS } from '../identity/identity-members.js'

/** The store the journal keeps its entries in, when it is not the default memory store. */
export interface SharedJournal {
  readonly store: SharedJournalStore
  /** The key the applications' keys are hashed with: the same on every sidecar sharing the store. */
  readonly keyHashSecret: Buffer
}

export const MEMORY_HEALTH: StoreHealth = Object.freeze({ kind: 'memory', connected: true, errors: 0 })

/**
 * The longest a first attempt can take, from its claim to its last answer
 * byte: a token to wait for, then twice (a 401 replayed once) a free
 * connection, connecting, the answer's headers and one pause in its body;
 * with TLS_IDENTITIES_DIR, a connect for each other member a handshake
 * refusal may fall back to. An entry still in flight after that is taken as abandoned by a sidecar
 * that stopped: a retry gets OUTCOME_UNKNOWN, never a second run.
 */
export function attemptLeaseMs (config: Readonly<Config>): number {
  const exchange = config.UPSTREAM_QUEUE_TIMEOUT_MS + config.CONNECT_TIMEOUT_MS + config.UPSTREAM_TIMEOUT_MS + config.UPSTREAM_BODY_TIMEOUT_MS
  const fallbacks = config.TLS_IDENTITIES_DIR === undefined ? 0 : (MAX_MEMBERS - 1) * config.CONNECT_TIMEOUT_MS
  return config.TOKEN_TIMEOUT_MS + 2 * exchange + fallbacks
}

/**
 * The shared store IDEMPOTENCY_STORE names, connected (or still trying: the
 * sidecar starts either way), or undefined for the memory store. The Redis
 * client (ioredis) is loaded here and only here, so that a sidecar without a
 * shared store never loads it.
 */
export async function openSharedJournal (config: Readonly<Config>, clock: Clock, logger: Logger): Promise<SharedJournal | undefined> {
  const location = storeLocation(config)
  if (location.kind === 'memory') return undefined
  const [{ RedisJournalStore }, { deriveJournalKeys }] = await Promise.all([import('./redis-store.js'), import('./sealed-entry.js')])
  const keys = deriveJournalKeys(encryptionKey(config, location) as Buffer)
  const store = new RedisJournalStore({
    location,
    entriesKey: keys.entries,
    keyCheck: keys.check,
    ...(config.IDEMPOTENCY_STORE_CA_FILE === undefined ? {} : { ca: readCa(config.IDEMPOTENCY_STORE_CA_FILE) }),
    clock,
    ttlMs: config.IDEMPOTENCY_TTL_S * 1000,
    leaseMs: attemptLeaseMs(config),
    timeoutMs: config.IDEMPOTENCY_STORE_TIMEOUT_MS,
    logger
  })
  await store.connect()
  return { store, keyHashSecret: keys.keyHashes }
}

/** IDEMPOTENCY_STORE_CA_FILE's certificates (also for `check`). */
export function readCa (path: string): string[] {
  let text: string
  try {
    text = readFileSafely(path, { encoding: 'utf8' })
  } catch (err) {
    throw new ConfigError('IDEMPOTENCY_STORE_CA_FILE', `cannot read ${path}: ${describeFsError(err)}`, { code: 'FILE_UNREADABLE' })
  }
  const found = pemCertificates(text)
  if (typeof found === 'string') throw new ConfigError('IDEMPOTENCY_STORE_CA_FILE', `${path} holds ${found === 'none' ? 'no PEM certificate' : 'a certificate that does not parse'}`, { code: 'CA_FILE_INVALID' })
  return found
}
