import type { Exchange } from '../proxy/exchange.js'
import { idsOf, type TransactionIdTarget } from './transaction-ids.js'
import { downstreamResponseHeaders } from '../proxy/header-policy.js'
import type { JournalStore } from './journal-store.js'
import type { JournalEntry, Outcome } from './memory-store.js'

/**
 * Trulioo's answers that say it did not run the call: 401 (the credentials
 * were refused, after the 401 replay with a new token, if any) and 429 (rate
 * limited). They reach the application; the journal keeps nothing for them.
 * Every other answer, 4xx and 5xx included, is the call's outcome and is kept.
 */
export const REFUSED_UNRUN: ReadonlySet<number> = new Set([401, 429])

/**
 * The first attempt of a keyed request, as the journal follows it: whether
 * its request went out whole (after that, the upstream may have run it), and
 * the answer it got, copied as it passes for the retries. It ends in exactly
 * one of: finished (answered, too large, unknown) or released (never sent, so
 * never run: a retry may run).
 */
export class Attempt {
  readonly #store: JournalStore
  readonly #keyHash: string
  readonly #entry: JournalEntry
  readonly #maxAnswerBytes: number
  /** The whole request was written upstream (undici's onRequestSent): from here it may have run. */
  #sent = false
  #over = false
  #status = 0
  #headers: Record<string, string | string[]> | undefined
  #chunks: Buffer[] = []
  #size = 0
  #tooLarge = false
  /** Where a billable answer's transaction ids land as it passes (the access record). */
  readonly #ids: TransactionIdTarget | undefined

  constructor (store: JournalStore, keyHash: string, entry: JournalEntry, maxAnswerBytes: number, ids?: TransactionIdTarget) {
    this.#store = store
    this.#keyHash = keyHash
    this.#entry = entry
    this.#maxAnswerBytes = maxAnswerBytes
    this.#ids = ids
  }

  /** Ended, either way: a late dispatch of it must not be sent. */
  get over (): boolean { return this.#over }

  requestSent (): void { this.#sent = true }

  /** The final response head (1xx answers are not the answer). */
  headers (statusCode: number, raw: Buffer[]): void {
    if (this.#over || statusCode < 200) return
    this.#status = statusCode
    this.#headers = keptHeaders(raw)
  }

  data (chunk: Buffer): void {
    if (this.#over || this.#tooLarge || this.#headers === undefined) return
    this.#size += chunk.length
    if (this.#size > this.#maxAnswerBytes) {
      this.#tooLarge = true
      this.#chunks = []
      return
    }
    this.#chunks.push(chunk)
  }

  complete (): void {
    if (this.#over) return
    if (this.#headers === undefined) {
      this.failed()
      return
    }
    this.#over = true
    if (REFUSED_UNRUN.has(this.#status)) {
      // Trulioo refused it before running it: the application has the refusal, and its retry
      // (credentials fixed, or after Retry-After) runs instead of getting the refusal again
      this.#chunks = []
      void this.#store.release(this.#keyHash, this.#entry)
      return
    }
    if (this.#tooLarge) {
      void this.#store.finish(this.#keyHash, this.#entry, withIds('too-large', this.#ids))
      return
    }
    const body = this.#chunks.length === 1 ? this.#chunks[0] as Buffer : Buffer.concat(this.#chunks, this.#size)
    this.#chunks = []
    void this.#store.finish(this.#keyHash, this.#entry, { kind: 'answered', answer: { status: this.#status, headers: this.#headers, body } })
  }

  /**
   * The exchange failed. Before its request went out whole the upstream cannot
   * have run it (refused, unreachable, TLS, no connection in time): nothing is
   * kept. After, nobody can know: kept as unknown, never run again. Except
   * when `nothingRan`: the upstream refused the client certificate in the TLS
   * handshake (../upstream/fallback.ts handshakeRefusal), which over TLS 1.3
   * comes after undici has written the request, but before the server read it.
   */
  failed (nothingRan = false): void {
    if (this.#over) return
    this.#over = true
    this.#chunks = []
    // an answer cut mid-body may have carried the ids already: the retry is told them
    if (this.#sent && !nothingRan) void this.#store.finish(this.#keyHash, this.#entry, withIds('unknown', this.#ids))
    else void this.#store.release(this.#keyHash, this.#entry)
  }

  /**
   * The application's answer is over. An attempt never sent (answered by the
   * sidecar before the upstream: no token, no connection) is released here;
   * one that was sent waits for its exchange to end.
   */
  replyClosed (): void {
    if (!this.#over && !this.#sent) this.failed()
  }
}

/** An outcome that names the transaction ids when any had arrived (and is plain `{ kind }` otherwise). */
function withIds (kind: 'unknown' | 'too-large', target: TransactionIdTarget | undefined): Outcome {
  const ids = target === undefined ? undefined : idsOf(target)
  return ids === undefined ? { kind } : { kind, ids }
}

/** The headers the application got, as header-policy.ts lets them pass; its own request id is added at replay. */
function keptHeaders (raw: Buffer[]): Record<string, string | string[]> {
  const parsed: Record<string, string | string[]> = {}
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1').toLowerCase()
    const value = (raw[i + 1] as Buffer).toString('latin1')
    const had = parsed[name]
    parsed[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value]
  }
  const out = downstreamResponseHeaders(parsed, '') as Record<string, string | string[]>
  delete out['x-request-id']
  return out
}

const attempts = new WeakMap<Exchange, Attempt>()

/** The journal's attempt riding on a request's exchange, if it is a keyed first attempt. */
export function attemptOf (exchange: Exchange): Attempt | undefined {
  return attempts.get(exchange)
}

export function attachAttempt (exchange: Exchange, attempt: Attempt): void {
  attempts.set(exchange, attempt)
}
