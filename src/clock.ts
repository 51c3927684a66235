/**
 * Time, injectable: one clock threaded from the composition root, so tests
 * move it instead of sleeping (test/helpers/fake-clock.ts).
 */
export interface Clock {
  now (): number
  setTimeout (fn: () => void, ms: number): unknown
  clearTimeout (handle: unknown): void
}

/** The real clock; its timers never keep the process alive on their own. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => { const t = setTimeout(fn, ms); t.unref(); return t },
  clearTimeout: (handle) => { clearTimeout(handle as NodeJS.Timeout) }
}
