import type { IncomingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import { ClientGoneError } from '../errors.js'
import { exchangeOf } from '../proxy/exchange.js'
import { type Controller, type ExchangeHandler, type Interceptor, rawHeadersOf } from '../upstream/handler-api.js'
import { type Attempt, attemptOf } from './attempt.js'

/**
 * The journal's tee: follows the upstream exchange of a keyed first attempt
 * (attempt.ts): what went out, and the answer as it comes back. It sits inside
 * metering and outside the 401 replay (proxy-app.ts), so it sees the answer
 * the application gets (after a replay with a new token, if any) and every
 * end undici reports, including the aborts metering asks for (timeouts).
 * Requests without a key pass straight through. `nothingRan` tells an
 * exchange's failure that cannot have reached the upstream's application
 * although its request was written (a certificate refused in a TLS 1.3
 * handshake): its attempt is released, not kept as unknown.
 */
export function journalTee (nothingRan: (err: Error) => boolean): Interceptor {
  return (dispatch) => function tee (options, handler) {
    const exchange = exchangeOf(options.headers)
    const attempt = exchange === undefined ? undefined : attemptOf(exchange)
    if (attempt === undefined) return dispatch(options, handler)
    return dispatch(options, new TeeHandler(handler, attempt, nothingRan))
  }
}

class TeeHandler implements ExchangeHandler {
  readonly #inner: ExchangeHandler
  readonly #attempt: Attempt
  readonly #nothingRan: (err: Error) => boolean

  constructor (inner: ExchangeHandler, attempt: Attempt, nothingRan: (err: Error) => boolean) {
    this.#inner = inner
    this.#attempt = attempt
    this.#nothingRan = nothingRan
  }

  onRequestStart (controller: Controller, context: unknown): void {
    // released already (answered by the sidecar, or the application left): a
    // retry may be running it now, so this one must never go out
    if (this.#attempt.over) {
      controller.abort(new ClientGoneError('the attempt was given up before it was sent; it is not sent now'))
      return
    }
    this.#inner.onRequestStart?.(controller, context)
  }

  onBodySent (chunk: Buffer): void { this.#inner.onBodySent?.(chunk) }

  onRequestSent (): void {
    this.#attempt.requestSent()
    this.#inner.onRequestSent?.()
  }

  onResponseStarted (): void { this.#inner.onResponseStarted?.() }

  onResponseStart (controller: Controller, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    this.#attempt.headers(statusCode, rawHeadersOf(controller, headers))
    this.#inner.onResponseStart?.(controller, statusCode, headers, statusMessage)
  }

  onResponseData (controller: Controller, chunk: Buffer): void {
    this.#attempt.data(chunk)
    this.#inner.onResponseData?.(controller, chunk)
  }

  onResponseEnd (controller: Controller, trailers: IncomingHttpHeaders): void {
    this.#attempt.complete()
    this.#inner.onResponseEnd?.(controller, trailers)
  }

  onResponseError (controller: Controller, err: Error): void {
    this.#attempt.failed(this.#nothingRan(err))
    this.#inner.onResponseError?.(controller, err)
  }

  onRequestUpgrade (controller: Controller, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.#inner.onRequestUpgrade?.(controller, statusCode, headers, socket)
  }
}
