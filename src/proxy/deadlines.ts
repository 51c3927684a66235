/** Something with a deadline, checked by the sweep. */
export interface HasDeadline {
  /** Milliseconds (performance.now() time) after which it has expired. */
  deadline: number
  expire (): void
}

/**
 * The per-request deadlines of the forward stage — waiting for an upstream
 * connection, the application's body going quiet, the upstream's final
 * headers — checked by one sweep instead of a timer per request and phase:
 * per request, a deadline is a number to set, and the sweep runs only while
 * something is tracked. Precision is the sweep's period.
 */
export class Deadlines {
  readonly #tracked = new Set<HasDeadline>()
  readonly #periodMs: number
  #timer: NodeJS.Timeout | undefined

  constructor (periodMs: number) {
    this.#periodMs = periodMs
  }

  track (item: HasDeadline): void {
    this.#tracked.add(item)
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => { this.#sweep() }, this.#periodMs)
      this.#timer.unref()
    }
  }

  untrack (item: HasDeadline): void {
    this.#tracked.delete(item)
    if (this.#tracked.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }

  #sweep (): void {
    const now = performance.now()
    for (const item of this.#tracked) {
      if (now >= item.deadline) {
        this.untrack(item)
        item.expire()
      }
    }
  }
}

/** The sweep period for these limits: a tenth of the shortest, between 20 ms and 1 s. */
export function sweepPeriod (...limitsMs: number[]): number {
  return Math.max(20, Math.min(1_000, Math.floor(Math.min(...limitsMs) / 10)))
}
