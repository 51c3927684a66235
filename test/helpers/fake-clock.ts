import type { Clock } from '../../src/clock.js'

/** A clock that moves only when told: timers fire in order as `advance` passes them. */
export class FakeClock implements Clock {
  #now: number
  #timers: Array<{ at: number, fn: () => void, id: number }> = []
  #next = 1

  constructor (start = Date.UTC(2026, 0, 1)) { this.#now = start }

  now (): number { return this.#now }

  setTimeout (fn: () => void, ms: number): unknown {
    const id = this.#next++
    this.#timers.push({ at: this.#now + ms, fn, id })
    return id
  }

  clearTimeout (handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle)
  }

  /** When the next timer is due, or undefined. */
  get nextAt (): number | undefined {
    return this.#timers.reduce<number | undefined>((min, t) => min === undefined || t.at < min ? t.at : min, undefined)
  }

  /** Moves time forward by `ms`, firing due timers and letting their promises settle. */
  async advance (ms: number): Promise<void> {
    const until = this.#now + ms
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0]
      if (due === undefined) break
      this.#timers = this.#timers.filter((t) => t !== due)
      this.#now = due.at
      due.fn()
      await settle()
    }
    this.#now = until
    await settle()
  }
}

/** Lets pending promise callbacks run. */
export async function settle (): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
}
