import type { Dispatcher } from 'undici'
import { DelegatingDispatcher } from './delegating-dispatcher.js'

/**
 * The dispatcher handed to @fastify/http-proxy once, at start-up. It delegates
 * every request to the current Agent, so a certificate reload swaps the Agent
 * here and the proxy route never changes.
 */
export class RotatingDispatcher extends DelegatingDispatcher {
  #current: Dispatcher

  constructor (initial: Dispatcher) {
    super()
    this.#current = initial
  }

  get current (): Dispatcher {
    return this.#current
  }

  protected override target (): Dispatcher {
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
}
