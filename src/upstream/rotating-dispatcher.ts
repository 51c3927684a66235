import { Dispatcher } from 'undici'

/**
 * The dispatcher handed to @fastify/http-proxy once, at start-up. It delegates
 * every request to the current Agent, so a certificate reload swaps the Agent
 * here and the proxy route never changes.
 */
export class RotatingDispatcher extends Dispatcher {
  #current: Dispatcher

  constructor (initial: Dispatcher) {
    super()
    this.#current = initial
  }

  get current (): Dispatcher {
    return this.#current
  }

  /**
   * New requests go to `next` from now on. The previous dispatcher is
   * returned; closing it lets its requests in flight finish first.
   */
  swap (next: Dispatcher): Dispatcher {
    const previous = this.#current
    this.#current = next
    return previous
  }

  override dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.#current.dispatch(options, handler)
  }

  override close (): Promise<void>
  override close (callback: () => void): void
  override close (callback?: () => void): Promise<void> | void {
    const done = this.#current.close()
    if (callback === undefined) return done
    done.then(() => callback(), () => callback())
  }

  override destroy (): Promise<void>
  override destroy (err: Error | null): Promise<void>
  override destroy (callback: () => void): void
  override destroy (err: Error | null, callback: () => void): void
  override destroy (errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const err = typeof errOrCallback === 'function' ? null : errOrCallback ?? null
    const cb = typeof errOrCallback === 'function' ? errOrCallback : callback
    const done = this.#current.destroy(err)
    if (cb === undefined) return done
    done.then(() => cb(), () => cb())
  }
}
