import type { IncomingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import { type Dispatcher, util } from 'undici'
import { DelegatingDispatcher } from './delegating-dispatcher.js'
import { type Controller, type ExchangeHandler, type Interceptor, rawOr } from './handler-api.js'

/**
 * The interceptors composed on `pool` with `dispatcher.compose()` (the last
 * listed sees the request first and the answer last), with undici 7's two gaps
 * in the handler API bridged, one at each end of the chain.
 *
 * DELETE THIS FILE WHEN ON UNDICI 8, and compose on the pool directly:
 * `pool.compose(interceptors)`. Neither gap exists there.
 *
 * - Below the chain: undici 7's dispatchers take a handler on the new API
 *   through UnwrapHandler (lib/handler/unwrap-handler.js), which never passes
 *   on `onBodySent` and `onRequestSent`: the bytes sent, the client-body
 *   deadline, the pipelining gate and "sent whole" (the see-through, the
 *   journal) all hang on them. So the chain's bottom hands undici 7's pool a
 *   handler of the legacy API of its own, which passes on every event,
 *   those two included. (undici 8's core calls both on the new API itself:
 *   lib/core/request.js.)
 * - Above the chain: reply-from calls `dispatcher.request()`, whose handler on
 *   undici 7 speaks the legacy API. `compose()` would wrap it in undici's
 *   WrapHandler, which rebuilds the response head as new Buffers from the
 *   parsed one on every response; this hands it the head undici read
 *   (`controller.rawHeaders`), the bytes it got before the chain was composed.
 *   (undici 8's `request()` handler speaks the new API.)
 */
export function composeOnUndici7 (pool: Dispatcher, interceptors: ReadonlyArray<Interceptor | null>): Dispatcher {
  const below = new LegacyBelow(pool)
  const composed = below.compose(interceptors as unknown as Dispatcher.DispatcherComposeInterceptor[])
  return new LegacyAbove(below, composed.dispatch)
}

/** undici's legacy handler API, as undici 7's core and its `request()` handler speak it. */
export interface LegacyHandler {
  onConnect?: (abort: (err?: Error) => void, context?: unknown) => void
  onHeaders?: (statusCode: number, headers: Buffer[], resume: () => void, statusText: string) => boolean
  onData?: (chunk: Buffer) => boolean
  onComplete?: (trailers: Buffer[] | null) => void
  onError?: (err: Error) => void
  onUpgrade?: (statusCode: number, headers: Buffer[] | null, socket: Duplex) => void
  onResponseStarted?: () => void
  onBodySent?: (chunk: Buffer) => void
  onRequestSent?: () => void
}

/** The chain's base: hands the pool each handler on the legacy API, every event passed on. */
class LegacyBelow extends DelegatingDispatcher {
  readonly #pool: Dispatcher

  constructor (pool: Dispatcher) {
    super()
    this.#pool = pool
  }

  override dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const newApi = handler as ExchangeHandler
    if (newApi.onRequestStart === undefined) return this.#pool.dispatch(options, handler)
    return this.#pool.dispatch(options, new LegacyFace(newApi) as unknown as Dispatcher.DispatchHandler)
  }

  protected override target (): Dispatcher { return this.#pool }
}

/** What reply-from is given: a legacy-API caller's handler enters the chain on the new API. */
class LegacyAbove extends DelegatingDispatcher {
  readonly #below: Dispatcher
  readonly #dispatch: Dispatcher['dispatch']

  constructor (below: Dispatcher, dispatch: Dispatcher['dispatch']) {
    super()
    this.#below = below
    this.#dispatch = dispatch
  }

  override dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const entering = handler.onRequestStart === undefined ? new NewFace(handler as LegacyHandler) as unknown as Dispatcher.DispatchHandler : handler
    return this.#dispatch(options, entering)
  }

  // closing goes to the pool (compose()'s result is a Proxy, which private fields do not cross)
  protected override target (): Dispatcher { return this.#below }
}

const NO_TRAILERS = Object.freeze({})

/** A new-API handler as undici 7's core sees it, and its controller. */
class LegacyFace implements LegacyHandler, Controller {
  readonly #handler: ExchangeHandler
  #abort: ((err?: Error) => void) | undefined = undefined
  #resume: (() => void) | undefined = undefined
  #paused = false
  #aborted = false
  #reason: Error | null = null
  rawHeaders: Buffer[] | null = null
  rawTrailers: Buffer[] | null = null

  constructor (handler: ExchangeHandler) {
    this.#handler = handler
  }

  get aborted (): boolean { return this.#aborted }
  get paused (): boolean { return this.#paused }
  get reason (): Error | null { return this.#reason }

  abort (reason?: Error): void {
    if (this.#aborted) return
    this.#aborted = true
    this.#reason = reason ?? null
    this.#abort?.(reason)
  }

  pause (): void { this.#paused = true }

  resume (): void {
    if (!this.#paused) return
    this.#paused = false
    this.#resume?.()
  }

  onConnect (abort: (err?: Error) => void, context?: unknown): void {
    this.#abort = abort
    this.#handler.onRequestStart?.(this, context)
  }

  onBodySent (chunk: Buffer): void { this.#handler.onBodySent?.(chunk) }
  onRequestSent (): void { this.#handler.onRequestSent?.() }
  onResponseStarted (): void { this.#handler.onResponseStarted?.() }

  onHeaders (statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    this.#resume = resume
    this.rawHeaders = headers
    this.#handler.onResponseStart?.(this, statusCode, util.parseHeaders(headers), statusText)
    return !this.#paused
  }

  onData (chunk: Buffer): boolean {
    this.#handler.onResponseData?.(this, chunk)
    return !this.#paused
  }

  onComplete (trailers: Buffer[] | null): void {
    this.rawTrailers = trailers
    this.#handler.onResponseEnd?.(this, trailers === null || trailers.length === 0 ? NO_TRAILERS : util.parseHeaders(trailers))
  }

  onError (err: Error): void { this.#handler.onResponseError?.(this, err) }

  onUpgrade (statusCode: number, headers: Buffer[] | null, socket: Duplex): void {
    this.rawHeaders = headers
    this.#handler.onRequestUpgrade?.(this, statusCode, headers === null ? {} : util.parseHeaders(headers), socket)
  }
}

/** A legacy-API handler (reply-from's, through `request()`) as the chain's new API sees it. */
class NewFace implements ExchangeHandler {
  readonly #handler: LegacyHandler
  #controller: Controller | undefined = undefined
  // the legacy API takes these two as functions
  readonly #abort = (err?: Error): void => { this.#controller?.abort(err as Error) }
  readonly #resume = (): void => { this.#controller?.resume() }

  constructor (handler: LegacyHandler) {
    this.#handler = handler
  }

  onRequestStart (controller: Controller, context: unknown): void {
    this.#controller = controller
    this.#handler.onConnect?.(this.#abort, context)
  }

  onBodySent (chunk: Buffer): void { this.#handler.onBodySent?.(chunk) }
  onRequestSent (): void { this.#handler.onRequestSent?.() }
  onResponseStarted (): void { this.#handler.onResponseStarted?.() }

  onResponseStart (controller: Controller, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    const raw = rawOr(controller.rawHeaders, headers)
    if (this.#handler.onHeaders?.(statusCode, raw, this.#resume, statusMessage ?? '') === false) controller.pause()
  }

  onResponseData (controller: Controller, chunk: Buffer): void {
    if (this.#handler.onData?.(chunk) === false) controller.pause()
  }

  onResponseEnd (controller: Controller, trailers: IncomingHttpHeaders): void {
    this.#handler.onComplete?.(rawOr(controller.rawTrailers, trailers))
  }

  onResponseError (_controller: Controller, err: Error): void { this.#handler.onError?.(err) }

  onRequestUpgrade (controller: Controller, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.#handler.onUpgrade?.(statusCode, rawOr(controller.rawHeaders, headers), socket)
  }
}
