import { randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import { Redis, type RedisOptions } from 'ioredis'
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import { secureContextTrusting } from '../tls-trust.js'
import type { SharedJournalStore, StoreHealth } from './journal-store.js'
import type { JournalEntry, Outcome } from './memory-store.js'
import { CLAIM, FINISH, RELEASE } from './redis-scripts.js'
import { EntrySeal, type StoredEntry } from './sealed-entry.js'
import type { StoreLocation } from './store-location.js'

/** Redis keys are this prefix and the key hash: never the application's key. */
export const KEY_PREFIX = 'trulioo-sidecar:journal:'
/** One channel for every sidecar: each message is the key hash of an entry that finished or was released. */
export const SETTLED_CHANNEL = 'trulioo-sidecar:journal:settled'
/** Which encryption key the sidecars sharing the store use (sealed-entry.ts deriveJournalKeys), renewed by every claim. */
export const KEY_CHECK = 'trulioo-sidecar:journal:key-check'
/** A waiting retry looks again at least this often, in case a message was missed (a reconnect). */
const POLL_MS = 1_000

export interface RedisStoreOptions {
  readonly location: Extract<StoreLocation, { kind: 'redis' }>
  /** The entries key (sealed-entry.ts deriveJournalKeys). */
  readonly entriesKey: Buffer
  /** The key check of this sidecar's encryption key. */
  readonly keyCheck: string
  /** PEM certificates trusted for rediss:// besides the default roots. */
  readonly ca?: readonly string[]
  readonly clock: Clock
  readonly ttlMs: number
  /** The longest a first attempt can take: past it, an entry still in flight is abandoned (its sidecar stopped). */
  readonly leaseMs: number
  /** One call to the store, connecting included. */
  readonly timeoutMs: number
  readonly logger: Logger
}

interface Scripts {
  journalClaimBuffer (key: string, check: string, now: string, token: string, exp: string, px: string, data: Buffer, keyCheck: string): Promise<[number, Buffer?, Buffer?]>
  journalFinish (key: string, token: string, exp: string, px: string, data: Buffer, channel: string, keyHash: string): Promise<number>
  journalRelease (key: string, token: string, channel: string, keyHash: string): Promise<number>
}

/** What this store knows of an entry it handed out: where it lives, whose claim it is. */
interface Claim { readonly keyHash: string, readonly token: string, readonly won: boolean, readonly leaseUntil: number }

/**
 * The journal shared through Redis or Valkey, so that a retry reaching
 * another replica's sidecar meets the same entry. One hash per key:
 * `st` (run / done), `tok` (the claim's random token), `exp` (when it
 * expires by the journal's clock) and `data` (the entry, sealed:
 * sealed-entry.ts). The claim, finish and release are Lua scripts
 * (redis-scripts.ts), each one atomic step: of concurrent duplicates on any
 * number of sidecars exactly one wins; only the winner's token finishes or
 * releases. Redis expires every key (PEXPIRE) a little after the journal
 * does. Waiting retries hear of a settled entry on one pub/sub channel, and
 * look again every second at most in case they missed it.
 *
 * Fails closed: a claim or a wait that the store cannot answer rejects, and
 * the journal refuses the keyed request. ioredis reconnects by itself; while
 * it is disconnected nothing is queued (a call fails at once).
 */
export class RedisJournalStore implements SharedJournalStore {
  readonly #options: RedisStoreOptions
  readonly #client: Redis & Scripts
  readonly #subscriber: Redis
  readonly #seal: EntrySeal
  readonly #claims = new WeakMap<JournalEntry, Claim>()
  readonly #waiters = new Map<string, Set<() => void>>()
  readonly #writes = new Set<Promise<unknown>>()
  #errors = 0
  #lastError: string | undefined
  #wasConnected = false
  /** Between a lost (or never made) connection and the next one: said once, at its start. */
  #outage = false
  #closed = false

  constructor (options: RedisStoreOptions) {
    this.#options = options
    this.#seal = new EntrySeal(options.entriesKey)
    const redisOptions = connectionOptions(options.location, options.ca, options.timeoutMs)
    this.#client = new Redis(redisOptions) as Redis & Scripts
    this.#client.defineCommand('journalClaim', { numberOfKeys: 2, lua: CLAIM })
    this.#client.defineCommand('journalFinish', { numberOfKeys: 1, lua: FINISH })
    this.#client.defineCommand('journalRelease', { numberOfKeys: 1, lua: RELEASE })
    this.#subscriber = new Redis({ ...redisOptions, commandTimeout: undefined })
    this.#client.on('error', (err: Error) => { this.#connectionFailed(err) })
    this.#client.on('ready', () => { this.#connected() })
    this.#client.on('close', () => { this.#disconnected() })
    this.#subscriber.on('error', () => { /* the main connection reports the store's troubles */ })
    // subscribed again at each connection: a message missed in between is made up by the poll
    this.#subscriber.on('ready', () => { this.#subscriber.subscribe(SETTLED_CHANNEL).catch(() => {}) })
    this.#subscriber.on('message', (_channel: string, keyHash: string) => { this.#wake(keyHash) })
  }

  /** Connects; resolves once connected, or after timeoutMs: the sidecar starts either way (keyless calls need no store). */
  async connect (): Promise<boolean> {
    const connecting = Promise.allSettled([this.#client.connect(), this.#subscriber.connect()])
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.#options.timeoutMs) })
    await Promise.race([connecting, late])
    clearTimeout(timer)
    return this.#client.status === 'ready'
  }

  health (): StoreHealth {
    return {
      kind: 'redis',
      url: this.#options.location.shown,
      connected: this.#client.status === 'ready',
      errors: this.#errors,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError })
    }
  }

  async claim (keyHash: string, fingerprint: string, requestId: string): Promise<{ entry: JournalEntry, won: boolean }> {
    const { clock, ttlMs, leaseMs } = this.#options
    const now = clock.now()
    const token = randomBytes(12).toString('hex')
    const leaseUntil = now + leaseMs
    const sealed = this.#seal.seal(keyHash, { fingerprint, requestId, startedAt: now, leaseUntil })
    const reply = await this.#call(async () => await this.#client.journalClaimBuffer(KEY_PREFIX + keyHash, KEY_CHECK, String(now), token, String(now + leaseMs + ttlMs), String(leaseMs + ttlMs), sealed, this.#options.keyCheck))
    if (reply[0] === -1) {
      throw this.#failed(new Error(`this sidecar's IDEMPOTENCY_ENCRYPTION_KEY is not the one the other sidecars using this store have: it could neither find nor read their entries, so requests with Idempotency-Key are refused here; give every sidecar the same key file (to change the key on purpose, restart them all with the new one and delete ${KEY_CHECK})`))
    }
    if (reply[0] === 1) {
      const entry: JournalEntry = { fingerprint, requestId, startedAt: now, outcome: undefined, expiresAt: Infinity, bytes: 0 }
      this.#claims.set(entry, { keyHash, token, won: true, leaseUntil })
      return { entry, won: true }
    }
    let stored: StoredEntry
    try {
      stored = this.#seal.open(keyHash, reply[1] as Buffer)
    } catch (err) {
      throw this.#failed(err as Error)
    }
    const { outcome, leaseUntil: theirs, ...fields } = stored
    // in flight past the longest an attempt can take: its sidecar stopped; nobody can know whether it ran
    const seen: Outcome | undefined = outcome ?? (now > theirs ? { kind: 'abandoned' } : undefined)
    const entry: JournalEntry = { ...fields, outcome: seen, expiresAt: Infinity, bytes: 0 }
    this.#claims.set(entry, { keyHash, token: (reply[2] as Buffer).toString('latin1'), won: false, leaseUntil: theirs })
    return { entry, won: false }
  }

  finish (keyHash: string, entry: JournalEntry, outcome: Outcome): Promise<void> {
    const claim = this.#claims.get(entry)
    if (claim?.won !== true || entry.outcome !== undefined) return Promise.resolve()
    entry.outcome = outcome
    const { clock, ttlMs } = this.#options
    const now = clock.now()
    const { outcome: _, expiresAt: _e, bytes: _b, ...fields } = entry
    const sealed = this.#seal.seal(keyHash, { ...fields, leaseUntil: claim.leaseUntil, outcome })
    return this.#write('keep the outcome', async () => await this.#client.journalFinish(KEY_PREFIX + keyHash, claim.token, String(now + ttlMs), String(ttlMs), sealed, SETTLED_CHANNEL, keyHash))
  }

  release (keyHash: string, entry: JournalEntry): Promise<void> {
    const claim = this.#claims.get(entry)
    if (claim?.won !== true || entry.outcome !== undefined) return Promise.resolve()
    this.#claims.delete(entry)
    return this.#write('release a claim', async () => await this.#client.journalRelease(KEY_PREFIX + keyHash, claim.token, SETTLED_CHANNEL, keyHash))
  }

  async whenSettled (entry: JournalEntry, ms: number): Promise<boolean> {
    const claim = this.#claims.get(entry)
    if (claim === undefined || entry.outcome !== undefined) return true
    const { clock } = this.#options
    return await new Promise<boolean>((resolve, reject) => {
      let waiters = this.#waiters.get(claim.keyHash)
      if (waiters === undefined) this.#waiters.set(claim.keyHash, waiters = new Set())
      const set = waiters
      const done = (settled: boolean): void => {
        clock.clearTimeout(timer)
        set.delete(woken)
        if (set.size === 0 && this.#waiters.get(claim.keyHash) === set) this.#waiters.delete(claim.keyHash)
        resolve(settled)
      }
      const woken = (): void => { done(true) }
      // past POLL_MS: look again (true), the journal's deadline decides whether to wait more
      const timer = clock.setTimeout(() => { done(ms > POLL_MS) }, Math.min(ms, POLL_MS))
      set.add(woken)
      // Looked at once more now that the waiter is there: an entry settled
      // between the claim's answer and this point published before anyone listened.
      this.#call(async () => await this.#client.hmget(KEY_PREFIX + claim.keyHash, 'st', 'tok')).then(([st, tok]) => {
        if (st !== 'run' || tok !== claim.token) done(true)
      }, (err: unknown) => {
        clock.clearTimeout(timer)
        set.delete(woken)
        reject(err as Error)
      })
    })
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled([...this.#writes])
    await Promise.allSettled([this.#client.quit(), this.#subscriber.quit()])
    this.#client.disconnect()
    this.#subscriber.disconnect()
  }

  #wake (keyHash: string): void {
    const waiters = this.#waiters.get(keyHash)
    if (waiters === undefined) return
    for (const woken of [...waiters]) woken()
  }

  /** A write the attempt does not wait for: a failure is reported here, and the entry's lease runs out into an unknown outcome. */
  #write (what: string, fn: () => Promise<unknown>): Promise<void> {
    const write = this.#call(fn).then(() => {}, (err: Error) => {
      this.#options.logger.warn({ store: this.#options.location.shown, err: err.message }, `the idempotency store could not ${what}: a retry with this key will get OUTCOME_UNKNOWN once the attempt's lease (${this.#options.leaseMs} ms) has passed, never a second run`)
    })
    this.#writes.add(write)
    void write.finally(() => { this.#writes.delete(write) })
    return write
  }

  async #call<T> (fn: () => Promise<T>): Promise<T> {
    if (this.#client.status !== 'ready') throw this.#failed(new Error(`not connected (${this.#lastError ?? this.#client.status})`))
    try {
      return await fn()
    } catch (err) {
      throw this.#failed(err as Error)
    }
  }

  #failed (err: Error): Error {
    this.#errors++
    this.#lastError = err.message
    return new Error(`the idempotency store ${this.#options.location.shown} failed: ${err.message}`, { cause: err })
  }

  #connected (): void {
    const { logger, location } = this.#options
    logger.info({ store: location.shown }, this.#wasConnected ? 'the idempotency store is reachable again' : 'idempotency store connected')
    this.#wasConnected = true
    this.#outage = false
    this.#lastError = undefined
    void evictionRisk(this.#client).then((risk) => {
      if (risk !== undefined) logger.warn({ store: location.shown }, risk)
    })
  }

  #connectionFailed (err: Error): void {
    this.#lastError = err.message
    // every reconnection attempt emits one: said once per outage
    if (this.#outage || this.#closed) return
    this.#outage = true
    this.#options.logger.warn({ store: this.#options.location.shown, err: err.message }, 'the idempotency store cannot be reached: requests with Idempotency-Key get 503 IDEMPOTENCY_STORE_UNAVAILABLE until it is back; requests without one are not affected')
  }

  #disconnected (): void {
    if (this.#closed || this.#outage) return
    this.#outage = true
    this.#lastError ??= 'connection closed'
    this.#options.logger.warn({ store: this.#options.location.shown }, 'the connection to the idempotency store closed: requests with Idempotency-Key get 503 IDEMPOTENCY_STORE_UNAVAILABLE until it is back')
  }
}

/**
 * How ioredis reaches the store: the socket or host and port, the database,
 * the credentials (never logged), TLS verified against the default roots and
 * IDEMPOTENCY_STORE_CA_FILE's. A call while disconnected fails at once (no
 * queue): a keyed request is refused, never held behind an outage.
 */
export function connectionOptions (location: RedisStoreOptions['location'], ca: readonly string[] | undefined, timeoutMs: number): RedisOptions {
  return {
    ...(location.path === undefined ? { host: location.host as string, port: location.port as number } : { path: location.path }),
    db: location.db,
    ...(location.username === undefined ? {} : { username: location.username }),
    ...(location.password === undefined ? {} : { password: location.password }),
    // verified as the upstream is: the default roots plus IDEMPOTENCY_STORE_CA_FILE's, the host name checked (SNI only for a name)
    ...(location.tls ? { tls: { secureContext: secureContextTrusting({}, ca), ...(isIP(location.host as string) === 0 ? { servername: location.host as string } : {}) } } : {}),
    connectionName: 'trulioo-mtls-sidecar',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
    lazyConnect: true
  }
}

/**
 * Why this server might drop an entry before its time, if it might: with a
 * memory limit and any policy but noeviction, Redis evicts keys under
 * pressure, and an evicted in-flight marker lets a duplicate run. Undefined
 * when it cannot (or the server does not say: CONFIG may be refused).
 */
export async function evictionRisk (client: Redis): Promise<string | undefined> {
  try {
    const [, limit] = await client.config('GET', 'maxmemory') as [string, string]
    const [, policy] = await client.config('GET', 'maxmemory-policy') as [string, string]
    if (limit === '0' || policy === 'noeviction') return undefined
    return `the idempotency store may evict entries (maxmemory ${limit} bytes, maxmemory-policy ${policy}): an evicted in-flight marker would let a duplicate run; set maxmemory-policy noeviction on the Redis or Valkey server (docs/journal.md)`
  } catch {
    return undefined
  }
}

/**
 * `check`'s step: connects once (no retries), PINGs, says which server
 * answered, and whether the sidecars already using it have this key
 * (undefined: none has claimed anything for a while).
 */
export async function probeStore (location: RedisStoreOptions['location'], ca: readonly string[] | undefined, timeoutMs: number, keyCheck: string): Promise<{ server: string, sameKey: boolean | undefined, evictionRisk: string | undefined }> {
  const client = new Redis({ ...connectionOptions(location, ca, timeoutMs), retryStrategy: () => null })
  // what went wrong comes as an event; the call itself only says the connection closed
  let cause: Error | undefined
  client.on('error', (err: Error) => { cause ??= err })
  try {
    try {
      await client.connect()
      await client.ping()
    } catch (err) {
      throw cause ?? err
    }
    const info = await client.info('server')
    const version = /^(valkey|redis)_version:(\S+)/m.exec(info)
    const theirs = await client.get(KEY_CHECK)
    return {
      server: version === null ? 'a Redis-compatible server' : `${version[1] === 'valkey' ? 'Valkey' : 'Redis'} ${version[2] as string}`,
      sameKey: theirs === null ? undefined : theirs === keyCheck,
      evictionRisk: await evictionRisk(client)
    }
  } finally {
    client.disconnect()
  }
}
