import type { Dispatcher } from 'undici'
import { DelegatingDispatcher } from './delegating-dispatcher.js'
import { dispatchWithFallback, type FallbackRoutes } from './fallback.js'

/**
 * The dispatcher handed to @fastify/http-proxy once, at start-up. It sends
 * every request to the Agent of the active member of the identity set, so a
 * certificate reload or a change of the active member swaps Agents here and
 * the proxy route never changes. With more than one usable member, a request
 * goes through the fallback (fallback.ts): a certificate the upstream refuses
 * in the handshake sends it on to the next member. With one, it goes
 * straight to the Agent, exactly as before the set existed.
 */
export class RotatingDispatcher extends DelegatingDispatcher {
  readonly #routes: FallbackRoutes

  constructor (routes: FallbackRoutes) {
    super()
    this.#routes = routes
  }

  /** The Agent of the active member. */
  get current (): Dispatcher {
    return this.target()
  }

  override dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const routes = this.#routes.routes()
    if (routes.length === 1) return (routes[0] as { dispatcher: Dispatcher }).dispatcher.dispatch(options, handler)
    return dispatchWithFallback(this.#routes, routes, options, handler)
  }

  protected override target (): Dispatcher {
    return (this.#routes.routes()[0] as { dispatcher: Dispatcher }).dispatcher
  }
}
