import type { Dispatcher } from 'undici'
import { ClientGoneError } from '../errors.js'
import { exchangeOf } from '../proxy/exchange.js'
import { DelegatingDispatcher, type LegacyHandler } from '../upstream/delegating-dispatcher.js'
import { type Attempt, attemptOf } from './attempt.js'

/**
 * Follows the upstream exchange of a keyed first attempt (attempt.ts): what
 * went out, and the answer as it comes back. It sits inside the metering
 * dispatcher and outside the 401 replay, so it sees the answer the
 * application gets (after a replay with a new token, if any) and every end
 * undici reports, including the aborts metering asks for (timeouts).
 * Requests without a key pass straight through.
 */
export class JournalDispatcher extends DelegatingDispatcher {
  readonly #inner: Dispatcher

  constructor (inner: Dispatcher) {
    super()
    this.#inner = inner
  }

  override dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const exchange = exchangeOf(options.headers)
    const attempt = exchange === undefined ? undefined : attemptOf(exchange)
    if (attempt === undefined) return this.#inner.dispatch(options, handler)
    return this.#inner.dispatch(options, new TeeHandler(handler as LegacyHandler, attempt) as unknown as Dispatcher.DispatchHandler)
  }

  protected override target (): Dispatcher {
    return this.#inner
  }
}

class TeeHandler implements LegacyHandler {
  readonly #inner: LegacyHandler
  readonly #attempt: Attempt

  constructor (inner: LegacyHandler, attempt: Attempt) {
    this.#inner = inner
    this.#attempt = attempt
  }

  onConnect (abort: (err?: Error) => void, context?: unknown): void {
    // released already (answered by the sidecar, or the application left): a
    // retry may be running it now, so this one must never go out
    if (this.#attempt.over) {
      abort(new ClientGoneError('the attempt was given up before it was sent; it is not sent now'))
      return
    }
    this.#inner.onConnect?.(abort, context)
  }

  onBodySent (chunk: Buffer): void { this.#inner.onBodySent?.(chunk) }

  onRequestSent (): void {
    this.#attempt.requestSent()
    this.#inner.onRequestSent?.()
  }

  onResponseStarted (): void { this.#inner.onResponseStarted?.() }

  onHeaders (statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    this.#attempt.headers(statusCode, headers)
    return this.#inner.onHeaders?.(statusCode, headers, resume, statusText) ?? true
  }

  onData (chunk: Buffer): boolean {
    this.#attempt.data(chunk)
    return this.#inner.onData?.(chunk) ?? true
  }

  onComplete (trailers: Buffer[] | null): void {
    this.#attempt.complete()
    this.#inner.onComplete?.(trailers)
  }

  onError (err: Error): void {
    this.#attempt.failed()
    this.#inner.onError?.(err)
  }

  onUpgrade (statusCode: number, headers: Buffer[] | string[] | null, socket: unknown): void {
    this.#inner.onUpgrade?.(statusCode, headers, socket)
  }
}
