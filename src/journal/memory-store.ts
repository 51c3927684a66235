import type { Clock } from '../clock.js'
import type { TransactionIds } from './transaction-ids.js'

/** An upstream answer as the application got it: status, the headers that pass, the body. */
export interface KeptAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | string[]>>
  readonly body: Buffer
}

/**
 * How a first attempt ended, as far as its retries are concerned:
 * `answered`, with the answer; `unknown`, sent upstream and then timed out or
 * cut short; `too-large`, answered with a body over IDEMPOTENCY_MAX_ANSWER_BYTES;
 * `abandoned` (a shared store's only), still in flight past the longest an
 * attempt can take: the sidecar running it stopped. `unknown` and `too-large`
 * name Trulioo's transaction ids when a billable answer carried them before it
 * ended (transaction-ids.ts), for OUTCOME_UNKNOWN's message.
 */
export type Outcome =
  | { readonly kind: 'answered', readonly answer: KeptAnswer }
  | { readonly kind: 'unknown', readonly ids?: TransactionIds }
  | { readonly kind: 'too-large', readonly ids?: TransactionIds }
  | { readonly kind: 'abandoned' }

export interface JournalEntry {
  /** The first request's method, path with query and body hash, as one hash (idempotency-key.ts). */
  readonly fingerprint: string
  /** The first attempt's request id and start (clock ms), for OUTCOME_UNKNOWN's message. */
  readonly requestId: string
  readonly startedAt: number
  /** Undefined while the first attempt is in flight. */
  outcome: Outcome | undefined
  expiresAt: number
  bytes: number
}

export interface MemoryStoreOptions {
  readonly clock: Clock
  readonly ttlMs: number
  readonly maxBytes: number
  /** Told how many finished entries were dropped before their TTL to stay within maxBytes. */
  readonly onEvict?: (count: number) => void
}

/** What an entry costs besides its answer's body and headers: the map slots, the strings, the object. */
const ENTRY_OVERHEAD = 512

/**
 * The journal's in-memory store: one entry per key hash, the in-flight
 * marker set in the same synchronous step that finds none (so of any number
 * of concurrent duplicates exactly one runs), answers kept for the TTL, and
 * memory bounded by dropping the oldest finished entries (never one in
 * flight). Time is read from the injected clock.
 */
export class MemoryJournalStore {
  readonly #options: MemoryStoreOptions
  readonly #entries = new Map<string, JournalEntry>()
  /** The finished entries, oldest first (the order they finished, and so the order they expire). */
  readonly #finished = new Map<string, JournalEntry>()
  readonly #waiters = new Map<JournalEntry, Set<() => void>>()
  #bytes = 0

  constructor (options: MemoryStoreOptions) {
    this.#options = options
  }

  /** Bytes the finished entries take, as counted against IDEMPOTENCY_MAX_BYTES. */
  get bytes (): number { return this.#bytes }
  get size (): number { return this.#entries.size }

  /**
   * The entry for `keyHash`, or, when there is none (or it expired), a new
   * in-flight one for this request: `won` says which.
   */
  claim (keyHash: string, fingerprint: string, requestId: string): { entry: JournalEntry, won: boolean } {
    this.#sweep()
    const existing = this.#entries.get(keyHash)
    if (existing !== undefined) return { entry: existing, won: false }
    const entry: JournalEntry = { fingerprint, requestId, startedAt: this.#options.clock.now(), outcome: undefined, expiresAt: Infinity, bytes: 0 }
    this.#entries.set(keyHash, entry)
    return { entry, won: true }
  }

  /** The first attempt ended with `outcome`: kept for the TTL, and its waiters told. */
  finish (keyHash: string, entry: JournalEntry, outcome: Outcome): void {
    if (this.#entries.get(keyHash) !== entry || entry.outcome !== undefined) return
    let bytes = ENTRY_OVERHEAD
    if (outcome.kind === 'answered') bytes += answerBytes(outcome.answer)
    // an answer that alone would push everything else out is kept as "too large" instead
    if (bytes > this.#options.maxBytes) {
      outcome = { kind: 'too-large' }
      bytes = ENTRY_OVERHEAD
    }
    entry.outcome = outcome
    entry.bytes = bytes
    entry.expiresAt = this.#options.clock.now() + this.#options.ttlMs
    this.#finished.set(keyHash, entry)
    this.#bytes += bytes
    this.#evict()
    this.#wake(entry)
  }

  /** The first attempt was never sent upstream: nothing is kept, and a waiting retry may run. */
  release (keyHash: string, entry: JournalEntry): void {
    if (this.#entries.get(keyHash) !== entry || entry.outcome !== undefined) return
    this.#entries.delete(keyHash)
    this.#wake(entry)
  }

  /** Resolves true once `entry` finishes or is released, false when `ms` pass first. */
  async whenSettled (entry: JournalEntry, ms: number): Promise<boolean> {
    if (entry.outcome !== undefined) return true
    const clock = this.#options.clock
    return await new Promise<boolean>((resolve) => {
      let waiters = this.#waiters.get(entry)
      if (waiters === undefined) this.#waiters.set(entry, waiters = new Set())
      const set = waiters
      const woken = (): void => { clock.clearTimeout(timer); resolve(true) }
      const timer = clock.setTimeout(() => { set.delete(woken); resolve(false) }, ms)
      set.add(woken)
    })
  }

  #wake (entry: JournalEntry): void {
    const waiters = this.#waiters.get(entry)
    if (waiters === undefined) return
    this.#waiters.delete(entry)
    for (const woken of waiters) woken()
  }

  #drop (keyHash: string, entry: JournalEntry): void {
    this.#finished.delete(keyHash)
    if (this.#entries.get(keyHash) === entry) this.#entries.delete(keyHash)
    this.#bytes -= entry.bytes
  }

  /** Expired entries go; they finished in order, so the expired ones are at the front. */
  #sweep (): void {
    const now = this.#options.clock.now()
    for (const [keyHash, entry] of this.#finished) {
      if (entry.expiresAt > now) break
      this.#drop(keyHash, entry)
    }
  }

  #evict (): void {
    let count = 0
    for (const [keyHash, entry] of this.#finished) {
      if (this.#bytes <= this.#options.maxBytes) break
      this.#drop(keyHash, entry)
      count++
    }
    if (count > 0) this.#options.onEvict?.(count)
  }
}

function answerBytes (answer: KeptAnswer): number {
  let bytes = answer.body.length
  for (const name in answer.headers) {
    const value = answer.headers[name] as string | string[]
    bytes += name.length + (Array.isArray(value) ? value.reduce((n, v) => n + v.length, 0) : value.length)
  }
  return bytes
}
