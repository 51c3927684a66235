import type { Clock } from '../clock.js'
import { type AccessRecord, loggableTarget, type RecordObserver } from '../proxy/access-record.js'

/** How far back /transactions looks. */
export const TRANSACTION_WINDOW_MS = 86_400_000
/** The most calls /transactions keeps; past it the oldest go (and are counted as dropped). */
export const TRANSACTION_LOG_CAP = 10_000

/**
 * One billable call to reconcile with Trulioo's transaction lookup: what the
 * operator needs to find it, and nothing else (no body, no key, no header).
 */
export interface TransactionEntry {
  readonly requestId: string
  /** When the request arrived (the injected clock, ms). */
  readonly at: number
  readonly method: string
  /** The path as logged: no query string, never userinfo. */
  readonly path: string
  /** `answer-lost`: Trulioo answered, the application had left; `unknown`: sent whole, then no whole answer. */
  readonly outcome: 'answer-lost' | 'unknown'
  /** Trulioo's status, when its answer's head arrived. */
  readonly status: number | null
  readonly transactionId: string | null
  readonly transactionRecordId: string | null
}

export interface TransactionListing {
  /** The start of the window (ISO 8601): calls before it are no longer listed. */
  readonly since: string
  /** Calls that fell off the list since start-up because it held TRANSACTION_LOG_CAP already. */
  readonly dropped: number
  /** Oldest first. */
  readonly calls: ReadonlyArray<Omit<TransactionEntry, 'at'> & { at: string }>
}

/**
 * The last day's billable calls whose answer was lost or whose outcome is
 * unknown, for `GET /transactions` on the admin listener: fed with each
 * billable call's record as it is written (access-record.ts), bounded in time
 * (TRANSACTION_WINDOW_MS, on the injected clock) and in count
 * (TRANSACTION_LOG_CAP). In memory: a restart forgets it.
 */
export class TransactionLog implements RecordObserver {
  readonly #clock: Pick<Clock, 'now'>
  readonly #cap: number
  /** Oldest first: entries are added as calls end, so in order of the clock. */
  readonly #entries: TransactionEntry[] = []
  #dropped = 0

  constructor (clock: Pick<Clock, 'now'>, cap = TRANSACTION_LOG_CAP) {
    this.#clock = clock
    this.#cap = cap
  }

  /** A billable call's record, written once: kept when its answer was lost or its outcome is unknown. */
  observe (record: AccessRecord, durationMs: number): void {
    if (!record.answerLost && !record.outcomeUnknown) return
    const now = this.#clock.now()
    this.#prune(now)
    if (this.#entries.length >= this.#cap) {
      this.#entries.shift()
      this.#dropped++
    }
    this.#entries.push({
      requestId: record.requestId,
      at: now - Math.round(durationMs),
      method: record.method,
      path: loggableTarget(record.target),
      outcome: record.outcomeUnknown ? 'unknown' : 'answer-lost',
      status: record.upstreamStatus ?? null,
      transactionId: record.transactionId ?? null,
      transactionRecordId: record.transactionRecordId ?? null
    })
  }

  list (): TransactionListing {
    const now = this.#clock.now()
    this.#prune(now)
    const since = now - TRANSACTION_WINDOW_MS
    return {
      since: new Date(since).toISOString(),
      dropped: this.#dropped,
      // a long call that ended after a shorter one may sit behind it: filtered, not only pruned
      calls: this.#entries.filter((entry) => entry.at > since).map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() }))
    }
  }

  /** Entries older than the window go; they are in order, so from the front. */
  #prune (now: number): void {
    let old = 0
    while (old < this.#entries.length && (this.#entries[old] as TransactionEntry).at <= now - TRANSACTION_WINDOW_MS) old++
    if (old > 0) this.#entries.splice(0, old)
  }
}
