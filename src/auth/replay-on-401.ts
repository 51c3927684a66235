import type { IncomingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import { ClientGoneError } from '../errors.js'
import { type Exchange, exchangeOf } from '../proxy/exchange.js'
import { SMALL_BODY_BYTES } from '../proxy/read-body.js'
import type { Controller, Dispatch, ExchangeHandler, Interceptor } from '../upstream/handler-api.js'
import type { Token, TokenStore } from './token-store.js'

/**
 * Replays an OAuth2 request once after a 401: Trulioo refused it before
 * processing it (the token had expired or was revoked), so a replay cannot
 * bill twice. Only requests whose whole body was read before forwarding
 * (none, or at most 64 KiB: ../proxy/read-body.ts) qualify; the 401 is held
 * back until the new token is known, and given to the application untouched
 * if no new token comes. Any other status, and any streamed body, passes
 * straight through. The replay is never sent once the application has gone:
 * nobody would read its answer, and the upstream would run the call again.
 */
export function replayOn401 (tokens: TokenStore): Interceptor {
  return (dispatch) => function replay (options, handler) {
    const exchange = exchangeOf(options.headers)
    const token = exchange?.auth?.oauth?.token
    // a body still streaming from the application cannot be sent twice
    const body = options.body
    const replayable = body === undefined || body === null || typeof body === 'string' || (Buffer.isBuffer(body) && body.length <= SMALL_BODY_BYTES)
    if (token === undefined || !replayable) return dispatch(options, handler)
    return dispatch(options, new ReplayHandler(dispatch, tokens, options, exchange as Exchange, token, handler))
  }
}

interface Held {
  readonly statusCode: number
  readonly headers: IncomingHttpHeaders
  readonly statusMessage: string | undefined
  readonly chunks: Buffer[]
  size: number
}

/**
 * One exchange across its two attempts. It is the controller its inner
 * handler acts through, the same one for both attempts, so that an abort
 * between them stops the replay from going out.
 */
class ReplayHandler implements ExchangeHandler, Controller {
  readonly #dispatch: Dispatch
  readonly #tokens: TokenStore
  readonly #options: Dispatcher.DispatchOptions
  readonly #exchange: Exchange
  readonly #token: Token
  readonly #inner: ExchangeHandler
  #attempt = 1
  /** undici's controller of the attempt on the wire. */
  #controller: Controller | undefined
  /** A 401 held back while a new token is fetched. */
  #held: Held | undefined
  /** Between the two attempts: no request is on the wire. */
  #between = false
  #aborted: Error | undefined

  constructor (dispatch: Dispatch, tokens: TokenStore, options: Dispatcher.DispatchOptions, exchange: Exchange, token: Token, inner: ExchangeHandler) {
    this.#dispatch = dispatch
    this.#tokens = tokens
    this.#options = options
    this.#exchange = exchange
    this.#token = token
    this.#inner = inner
  }

  // The controller the inner handler acts through.

  get aborted (): boolean { return this.#aborted !== undefined }
  get paused (): boolean { return this.#controller?.paused ?? false }
  get reason (): Error | null { return this.#aborted ?? null }
  get rawHeaders (): Controller['rawHeaders'] { return this.#controller?.rawHeaders }
  get rawTrailers (): Controller['rawTrailers'] { return this.#controller?.rawTrailers }
  pause (): void { this.#controller?.pause() }
  resume (): void { this.#controller?.resume() }

  abort (err?: Error): void {
    this.#aborted = err ?? new Error('aborted')
    if (this.#between) return // the replay is not sent; the refresh's end reports the abort
    this.#controller?.abort(err as Error)
  }

  // The handler undici calls, once per attempt.

  onRequestStart (controller: Controller, context: unknown): void {
    this.#controller = controller
    if (this.#attempt === 1) {
      this.#inner.onRequestStart?.(this, context)
    } else if (this.#aborted !== undefined) {
      controller.abort(this.#aborted)
    }
  }

  onBodySent (chunk: Buffer): void {
    // the body is counted once, as the application sent it
    if (this.#attempt === 1) this.#inner.onBodySent?.(chunk)
  }

  onRequestSent (): void { if (this.#attempt === 1) this.#inner.onRequestSent?.() }
  onResponseStarted (): void { this.#inner.onResponseStarted?.() }

  onResponseStart (_controller: Controller, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (this.#attempt === 1 && statusCode === 401) {
      this.#held = { statusCode, headers, statusMessage, chunks: [], size: 0 }
      return
    }
    this.#inner.onResponseStart?.(this, statusCode, headers, statusMessage)
  }

  onResponseData (_controller: Controller, chunk: Buffer): void {
    const held = this.#held
    if (held === undefined) {
      this.#inner.onResponseData?.(this, chunk)
      return
    }
    held.chunks.push(chunk)
    held.size += chunk.length
    // a 401 with a body this large is not a stale-token refusal worth holding
    if (held.size > SMALL_BODY_BYTES) this.#release()
  }

  onResponseEnd (_controller: Controller, trailers: IncomingHttpHeaders): void {
    if (this.#held === undefined) {
      this.#inner.onResponseEnd?.(this, trailers)
      return
    }
    this.#between = true
    this.#tokens.renewAfterRejection(this.#token).then((token) => {
      this.#between = false
      if (this.#exchange.clientGone) this.#aborted ??= new ClientGoneError('the application closed the connection while its 401 waited for a new token; the replay was not sent')
      if (this.#aborted !== undefined) {
        this.#inner.onResponseError?.(this, this.#aborted)
        return
      }
      this.#held = undefined
      this.#attempt = 2
      this.#tokens.countReplay(this.#token.scope)
      const headers = { ...(this.#options.headers as Record<string, string>), authorization: token.authorization }
      this.#dispatch({ ...this.#options, headers }, this)
    }, () => {
      // no new token: the application gets the 401 as Trulioo sent it
      this.#between = false
      if (this.#aborted !== undefined) {
        this.#inner.onResponseError?.(this, this.#aborted)
        return
      }
      this.#release()
      this.#inner.onResponseEnd?.(this, trailers)
    })
  }

  /** Hands the held 401 on, as it came. */
  #release (): void {
    const held = this.#held
    if (held === undefined) return
    this.#held = undefined
    this.#inner.onResponseStart?.(this, held.statusCode, held.headers, held.statusMessage)
    for (const chunk of held.chunks) this.#inner.onResponseData?.(this, chunk)
  }

  onResponseError (_controller: Controller, err: Error): void {
    this.#held = undefined
    this.#inner.onResponseError?.(this, err)
  }

  onRequestUpgrade (_controller: Controller, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.#inner.onRequestUpgrade?.(this, statusCode, headers, socket)
  }
}
