import type { Dispatcher } from 'undici'
import { ClientGoneError } from '../errors.js'
import { type Exchange, exchangeOf } from '../proxy/exchange.js'
import { SMALL_BODY_BYTES } from '../proxy/read-body.js'
import { DelegatingDispatcher, type LegacyHandler } from '../upstream/delegating-dispatcher.js'
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
export class ReplayOn401Dispatcher extends DelegatingDispatcher {
  readonly #pool: Dispatcher
  readonly #tokens: TokenStore

  constructor (pool: Dispatcher, tokens: TokenStore) {
    super()
    this.#pool = pool
    this.#tokens = tokens
  }

  override dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const exchange = exchangeOf(options.headers)
    const token = exchange?.auth?.oauth?.token
    // a body still streaming from the application cannot be sent twice
    const body = options.body
    const replayable = body === undefined || body === null || typeof body === 'string' || (Buffer.isBuffer(body) && body.length <= SMALL_BODY_BYTES)
    if (token === undefined || !replayable) {
      return this.#pool.dispatch(options, handler)
    }
    const replay = new ReplayHandler(this.#pool, this.#tokens, options, exchange as Exchange, token, handler as LegacyHandler)
    return this.#pool.dispatch(options, replay as unknown as Dispatcher.DispatchHandler)
  }

  protected override target (): Dispatcher {
    return this.#pool
  }
}

interface Held {
  readonly statusCode: number
  readonly headers: Buffer[]
  readonly resume: () => void
  readonly statusText: string
  readonly chunks: Buffer[]
  size: number
}

class ReplayHandler implements LegacyHandler {
  readonly #pool: Dispatcher
  readonly #tokens: TokenStore
  readonly #options: Dispatcher.DispatchOptions
  readonly #exchange: Exchange
  readonly #token: Token
  readonly #inner: LegacyHandler
  #attempt = 1
  #abort: ((err?: Error) => void) | undefined
  /** A 401 held back while a new token is fetched. */
  #held: Held | undefined
  /** Between the two attempts: no request is on the wire. */
  #between = false
  #aborted: Error | undefined

  constructor (pool: Dispatcher, tokens: TokenStore, options: Dispatcher.DispatchOptions, exchange: Exchange, token: Token, inner: LegacyHandler) {
    this.#pool = pool
    this.#tokens = tokens
    this.#options = options
    this.#exchange = exchange
    this.#token = token
    this.#inner = inner
  }

  onConnect (abort: (err?: Error) => void, context?: unknown): void {
    this.#abort = abort
    if (this.#attempt === 1) {
      this.#inner.onConnect?.((err?: Error) => { this.#abortAll(err) }, context)
    } else if (this.#aborted !== undefined) {
      abort(this.#aborted)
    }
  }

  #abortAll (err?: Error): void {
    this.#aborted = err ?? new Error('aborted')
    if (this.#between) return // the replay is not sent; the refresh's end reports the abort
    this.#abort?.(err)
  }

  onBodySent (chunk: Buffer): void {
    // the body is counted once, as the application sent it
    if (this.#attempt === 1) this.#inner.onBodySent?.(chunk)
  }

  onRequestSent (): void { if (this.#attempt === 1) this.#inner.onRequestSent?.() }
  onResponseStarted (): void { this.#inner.onResponseStarted?.() }

  onHeaders (statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.#attempt === 1 && statusCode === 401) {
      this.#held = { statusCode, headers, resume, statusText, chunks: [], size: 0 }
      return true
    }
    return this.#inner.onHeaders?.(statusCode, headers, resume, statusText) ?? true
  }

  onData (chunk: Buffer): boolean {
    const held = this.#held
    if (held === undefined) return this.#inner.onData?.(chunk) ?? true
    held.chunks.push(chunk)
    held.size += chunk.length
    // a 401 with a body this large is not a stale-token refusal worth holding
    if (held.size > SMALL_BODY_BYTES) this.#release()
    return true
  }

  onComplete (trailers: Buffer[] | null): void {
    if (this.#held === undefined) {
      this.#inner.onComplete?.(trailers)
      return
    }
    this.#between = true
    this.#tokens.renewAfterRejection(this.#token).then((token) => {
      this.#between = false
      if (this.#exchange.clientGone) this.#aborted ??= new ClientGoneError('the application closed the connection while its 401 waited for a new token; the replay was not sent')
      if (this.#aborted !== undefined) {
        this.#inner.onError?.(this.#aborted)
        return
      }
      this.#held = undefined
      this.#attempt = 2
      this.#tokens.countReplay(this.#token.scope)
      const headers = { ...(this.#options.headers as Record<string, string>), authorization: token.authorization }
      this.#pool.dispatch({ ...this.#options, headers }, this as unknown as Dispatcher.DispatchHandler)
    }, () => {
      // no new token: the application gets the 401 as Trulioo sent it
      this.#between = false
      if (this.#aborted !== undefined) {
        this.#inner.onError?.(this.#aborted)
        return
      }
      this.#release()
      this.#inner.onComplete?.(trailers)
    })
  }

  /** Hands the held 401 on, as it came. */
  #release (): void {
    const held = this.#held
    if (held === undefined) return
    this.#held = undefined
    this.#inner.onHeaders?.(held.statusCode, held.headers, held.resume, held.statusText)
    for (const chunk of held.chunks) this.#inner.onData?.(chunk)
  }

  onError (err: Error): void {
    this.#held = undefined
    this.#inner.onError?.(err)
  }

  onUpgrade (statusCode: number, headers: Buffer[] | string[] | null, socket: unknown): void {
    this.#inner.onUpgrade?.(statusCode, headers, socket)
  }
}
