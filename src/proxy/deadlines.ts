/**
 * Something with a deadline, checked by the sweep. The two links belong to
 * Deadlines: the tracked items form a list through them.
 */
export interface HasDeadline {
  /** Milliseconds (performance.now() time) after which it has expired. */
  deadline: number
  expire (): void
  prevTracked: HasDeadline | undefined
  nextTracked: HasDeadline | undefined
}

/**
 * The per-request deadlines of the forward stage — waiting for an upstream
 * connection, the application's body going quiet, the upstream's final
 * headers — checked by one sweep instead of a timer per request and phase:
 * per request, a deadline is a number to set, and the sweep runs only while
 * something is tracked. Precision is the sweep's period.
 *
 * The tracked items are a list linked through the items themselves, not a
 * Set: a Set is a long-lived hash table that every request writes into and
 * deletes from, and under load that churn made V8's young-generation
 * collections many times dearer (measured with --trace-gc on 50 keep-alive
 * small GETs: 28 ms of scavenging per 1,000 requests with a Set, 2.3 with the
 * list; the sidecar's CPU per request fell by about 40 %).
 */
export class Deadlines {
  #head: HasDeadline | undefined
  readonly #periodMs: number
  #timer: NodeJS.Timeout | undefined

  constructor (periodMs: number) {
    this.#periodMs = periodMs
  }

  /** How many are tracked (for tests: it walks the list). */
  get size (): number {
    let n = 0
    for (let item = this.#head; item !== undefined; item = item.nextTracked) n++
    return n
  }

  track (item: HasDeadline): void {
    if (item.prevTracked !== undefined || this.#head === item) return
    item.nextTracked = this.#head
    if (this.#head !== undefined) this.#head.prevTracked = item
    this.#head = item
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => { this.#sweep() }, this.#periodMs)
      this.#timer.unref()
    }
  }

  untrack (item: HasDeadline): void {
    const { prevTracked: prev, nextTracked: next } = item
    if (prev === undefined && this.#head !== item) return // not tracked
    if (prev === undefined) this.#head = next
    else prev.nextTracked = next
    if (next !== undefined) next.prevTracked = prev
    item.prevTracked = undefined
    item.nextTracked = undefined
    if (this.#head === undefined && this.#timer !== undefined) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }

  #sweep (): void {
    const now = performance.now()
    let item = this.#head
    while (item !== undefined) {
      const next = item.nextTracked
      if (now >= item.deadline) {
        this.untrack(item)
        item.expire()
      }
      item = next
    }
  }
}

/** The sweep period for these limits: a tenth of the shortest, between 20 ms and 1 s. */
export function sweepPeriod (...limitsMs: number[]): number {
  return Math.max(20, Math.min(1_000, Math.floor(Math.min(...limitsMs) / 10)))
}
