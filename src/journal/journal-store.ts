import type { JournalEntry, Outcome } from './memory-store.js'

/** What /status and the metrics say about the store. */
export interface StoreHealth {
  readonly kind: 'memory' | 'redis'
  /** The shared store's URL without credentials; undefined for memory. */
  readonly url?: string
  /** The store answers (memory: always). */
  readonly connected: boolean
  /** Calls to the store that failed since start-up (unreachable, timed out, unreadable entry). */
  readonly errors: number
  /** The last failure, in words (never a key, a body or a password). */
  readonly lastError?: string
}

/**
 * What the journal (journal-stage.ts, attempt.ts) asks of a store, memory or
 * shared. A method may answer at once (memory) or later (Redis): the journal
 * awaits every one of them.
 *
 * - `claim`: the entry under `keyHash`, or a new in-flight one for this
 *   request, set atomically with the finding that there is none (`won`), so
 *   that of any number of concurrent duplicates, on any number of sidecars,
 *   exactly one runs. Rejects when the store cannot be asked (the request is
 *   then refused, never run unprotected).
 * - `finish`: the won attempt ended with `outcome`, kept for the TTL; waiters told.
 * - `release`: the won attempt was never sent: the entry goes, a waiter may run.
 *   Only the claim that won is finished or released, never another's.
 *   Neither rejects: a store that fails there says so itself (log, metric),
 *   and a shared store's in-flight marker then runs out into an unknown outcome.
 * - `whenSettled`: resolves once it is worth claiming again (the entry
 *   finished or was released, or `ms` passed); may reject when the store fails.
 */
export interface JournalStore {
  claim (keyHash: string, fingerprint: string, requestId: string): { entry: JournalEntry, won: boolean } | Promise<{ entry: JournalEntry, won: boolean }>
  finish (keyHash: string, entry: JournalEntry, outcome: Outcome): void | Promise<void>
  release (keyHash: string, entry: JournalEntry): void | Promise<void>
  whenSettled (entry: JournalEntry, ms: number): Promise<boolean>
}

/** A shared store: it also has a health, and connections to close. */
export interface SharedJournalStore extends JournalStore {
  health (): StoreHealth
  /** Waits for the writes under way, then closes the connections. */
  close (): Promise<void>
}
