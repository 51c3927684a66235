import { type Clock, SYSTEM_CLOCK } from './clock.js'

/**
 * What everyone may know about the process's lifecycle, and nothing they
 * can change: getters on a frozen object (writing one throws a TypeError).
 */
export interface LifecycleFacts {
  /** When the sidecar started, on the injected clock. */
  readonly startedAt: Date
  /** Milliseconds since start, on the injected clock (`/status` uptime). */
  readonly uptimeMs: number
  /** Requests the proxy is serving right now. */
  readonly inFlight: number
  /** Set once, on SIGTERM/SIGINT: readiness fails and new requests get SHUTTING_DOWN. */
  readonly draining: boolean
  /** STARTUP_CHECK: undefined while not required, else whether the test call has passed. */
  readonly startupCheckPassed: boolean | undefined
  /** Why the start-up check has not passed yet (certificate or credentials refused, …). */
  readonly startupCheckDetail: string | undefined
}

/**
 * The one writer of the process's lifecycle facts: requests in flight,
 * draining, the start-up check (DESIGN "State and time": one writer per
 * fact, as ghostunnel's `Listening()` / `Reloading()`).
 *
 * The composition root (sidecar.ts) holds this object and hands its writing
 * methods only to the parts whose event each one is: the proxy starts and
 * ends requests, the start-up check reports its result, `close()` drains.
 * Everybody else, tests included, gets `facts`: read-only getters. The
 * state lives in private fields, so no other module can assign it; a test
 * (test/lifecycle/) scans the sources to keep it so.
 */
export class Lifecycle {
  readonly #clock: Clock
  readonly #startedAt: number
  #inFlight = 0
  #draining = false
  #startupCheckPassed: boolean | undefined = undefined
  #startupCheckDetail: string | undefined = undefined
  readonly facts: LifecycleFacts

  constructor (clock: Clock = SYSTEM_CLOCK) {
    this.#clock = clock
    this.#startedAt = clock.now()
    const self = this
    this.facts = Object.freeze({
      get startedAt () { return new Date(self.#startedAt) },
      get uptimeMs () { return self.#clock.now() - self.#startedAt },
      get inFlight () { return self.#inFlight },
      get draining () { return self.#draining },
      get startupCheckPassed () { return self.#startupCheckPassed },
      get startupCheckDetail () { return self.#startupCheckDetail }
    })
    Object.freeze(this)
  }

  get inFlight (): number { return this.#inFlight }
  get draining (): boolean { return this.#draining }

  /** The proxy took a request. */
  requestStarted (): void {
    this.#inFlight++
  }

  /** A request the proxy took has been answered (or abandoned). */
  requestEnded (): void {
    this.#inFlight--
  }

  /** Shutdown began: from now on readiness fails and requests are refused. It never ends. */
  drain (): void {
    this.#draining = true
  }

  /** STARTUP_CHECK is on: not ready until the test call passes. */
  startupCheckRequired (): void {
    this.#startupCheckPassed ??= false
  }

  /** The start-up check's test call was accepted. */
  startupCheckSucceeded (): void {
    this.#startupCheckPassed = true
    this.#startupCheckDetail = undefined
  }

  /** The start-up check's test call was refused or failed, for `detail`. */
  startupCheckFailed (detail: string): void {
    if (this.#startupCheckPassed === true) return
    this.#startupCheckPassed = false
    this.#startupCheckDetail = detail
  }
}
