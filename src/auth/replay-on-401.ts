import type { Dispatcher } from 'undici'
import { DelegatingDispatcher, type LegacyHandler } from '../upstream/delegating-dispatcher.js'
import { MAX_REPLAY_BODY_BYTES, type UpstreamAuth } from './auth-stage.js'

/** The request's auth decision rides to the dispatcher on the headers object; undici reads only string keys. */
export const kUpstreamAuth = Symbol('sidecar.upstreamAuth')
type TaggedHeaders = Record<string, string | string[]> & { [kUpstreamAuth]?: UpstreamAuth }

/** Marks the upstream headers of a request with its auth decision, for the replay below. */
export function tagUpstreamAuth (headers: Record<string, string | string[]>, auth: UpstreamAuth | undefined): void {
  if (auth?.oauth !== undefined) (headers as TaggedHeaders)[kUpstreamAuth] = auth
}

/**
 * Replays an OAuth2 request once after a 401: Trulioo refused it before
 * processing it (the token had expired or was revoked), so a replay cannot
 * bill twice. Only requests whose body was kept (none, or at most 64 KiB)
 * qualify; the 401 is held back until the new token is known, and given to
 * the application untouched if no new token comes. Any other status, and
 * any streamed body, passes straight through.
 */
export class ReplayOn401Dispatcher extends DelegatingDispatcher {
  readonly #pool: Dispatcher

  constructor (pool: Dispatcher) {
    super()
    this.#pool = pool
  }

  override dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const auth = (options.headers as TaggedHeaders | undefined)?.[kUpstreamAuth]
    if (auth?.oauth === undefined || auth.oauth.body === undefined) return this.#pool.dispatch(options, handler)
    // the kept body itself, not the stream copy reply-from holds: the same bytes can go twice
    const replayable = { ...options, body: auth.oauth.body ?? options.body }
    return this.#pool.dispatch(replayable, new ReplayHandler(this.#pool, replayable, auth, handler as LegacyHandler) as unknown as Dispatcher.DispatchHandler)
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
  readonly #options: Dispatcher.DispatchOptions
  readonly #auth: UpstreamAuth
  readonly #inner: LegacyHandler
  #attempt = 1
  #abort: ((err?: Error) => void) | undefined
  /** A 401 held back while a new token is fetched. */
  #held: Held | undefined
  /** Between the two attempts: no request is on the wire. */
  #between = false
  #aborted: Error | undefined

  constructor (pool: Dispatcher, options: Dispatcher.DispatchOptions, auth: UpstreamAuth, inner: LegacyHandler) {
    this.#pool = pool
    this.#options = options
    this.#auth = auth
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
    if (held.size > MAX_REPLAY_BODY_BYTES) this.#release()
    return true
  }

  onComplete (trailers: Buffer[] | null): void {
    if (this.#held === undefined) {
      this.#inner.onComplete?.(trailers)
      return
    }
    const oauth = this.#auth.oauth as NonNullable<UpstreamAuth['oauth']>
    this.#between = true
    oauth.tokens.renewAfterRejection(oauth.token).then((token) => {
      this.#between = false
      if (this.#aborted !== undefined) {
        this.#inner.onError?.(this.#aborted)
        return
      }
      this.#held = undefined
      this.#attempt = 2
      oauth.tokens.countReplay(oauth.token.scope)
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
