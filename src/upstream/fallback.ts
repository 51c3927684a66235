import type { Dispatcher } from 'undici'
import type { Member } from '../identity/identity-set.js'
import { exchangeOf } from '../proxy/exchange.js'
import type { LegacyHandler } from './delegating-dispatcher.js'
import type { SocketFates } from './tls-connector.js'

/** One place a request can go: a member of the identity set and its Agent. */
export interface Route {
  readonly member: Member
  readonly dispatcher: Dispatcher
}

/** What the fallback needs of the pool. */
export interface FallbackRoutes {
  /** Best first: [0] is the active member. */
  routes: () => readonly Route[]
  readonly fates: SocketFates
  /** The upstream refused `route`'s certificate in the handshake (`alert`, e.g. `certificate revoked`). */
  refused: (route: Route, alert: string) => void
  /** The upstream answered on `route`. */
  accepted: (route: Route) => void
}

/**
 * The TLS alerts with which a server refuses a client certificate. Any other
 * failure (a reset, a timeout, `handshake_failure`, `protocol_version`) is
 * not about the certificate, and another certificate would not help.
 */
const CLIENT_CERTIFICATE_ALERTS = new Set([
  'BAD_CERTIFICATE', 'UNSUPPORTED_CERTIFICATE', 'CERTIFICATE_REVOKED', 'CERTIFICATE_EXPIRED',
  'CERTIFICATE_UNKNOWN', 'UNKNOWN_CA', 'ACCESS_DENIED', 'CERTIFICATE_REQUIRED'
])

/**
 * Whether `err` is the upstream refusing the client certificate in the TLS
 * handshake, so that nothing of the request can have reached its HTTP layer;
 * the alert's name (`certificate revoked`) when it is, undefined otherwise.
 *
 * - TLS 1.2: the server judges the certificate before it finishes the
 *   handshake; the alert fails the connection before undici writes a byte.
 * - TLS 1.3: the client's handshake ends before the server has read the
 *   client's certificate, so undici may already have written the request when
 *   the alert comes. The server reads records in order: the certificate and
 *   Finished first, and it refuses there, so the request bytes behind them
 *   are never decrypted, let alone handed to the application. That holds only
 *   while the server never accepted the connection; acceptance shows on the
 *   socket as a session ticket (a TLS 1.3 server sends its NewSessionTicket
 *   right after it verified the client's Finished) or as any byte of an
 *   answer. An alert after either is not a handshake refusal, and neither is
 *   a bare reset or close without an alert: the request may have run.
 */
export function handshakeRefusal (err: unknown, fates: SocketFates): string | undefined {
  let alert: string | undefined
  let current = err as { code?: unknown, cause?: unknown } | undefined
  for (let depth = 0; depth < 5 && alert === undefined && current !== undefined && current !== null; depth++) {
    if (typeof current.code === 'string') alert = /_ALERT_(.+)$/.exec(current.code)?.[1]
    current = current.cause as typeof current
  }
  const fate = fates.forError(err) ?? fates.get((err as { socket?: { localPort?: number } }).socket?.localPort)
  if (alert === undefined && fate?.alert !== undefined) alert = /_ALERT_(.+)$/.exec(String(fate.alert.code))?.[1]
  if (alert === undefined || !CLIENT_CERTIFICATE_ALERTS.has(alert)) return undefined
  // the server had accepted this connection: whatever came after may follow a request that ran
  if (fate !== undefined && (fate.answered === true || fate.ticketed === true)) return undefined
  return alert.toLowerCase().replace(/_/g, ' ')
}

/**
 * Sends a request on `routes[0]` and, when the upstream refuses that
 * member's certificate in the handshake (handshakeRefusal), on the next one,
 * each member at most once. Only a request whose body is held whole (none,
 * or at most 64 KiB read before forwarding: ../proxy/read-body.ts) can be
 * sent again; a larger body streamed from the application is gone once
 * written, so its refusal is the application's answer (a 502 it may retry:
 * nothing ran), and the member is still marked refused so that the next
 * request goes elsewhere.
 *
 * The seam into the dispatcher chain is this one function, called by the
 * rotating dispatcher at the bottom of the chain: every wrapper above it
 * (metering, the journal's tee, the 401 replay) sees one exchange, started
 * once, whichever member ran it.
 */
export function dispatchWithFallback (pool: FallbackRoutes, routes: readonly Route[], options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
  const handlerLike = handler as LegacyHandler & { onRequestStart?: unknown }
  if (typeof handlerLike.onRequestStart === 'function') {
    // a handler of undici's newer API cannot be wrapped by this legacy-API one: no fallback
    return (routes[0] as Route).dispatcher.dispatch(options, handler)
  }
  const fallback = new FallbackHandler(pool, routes, options, handlerLike)
  return (routes[0] as Route).dispatcher.dispatch(options, fallback as unknown as Dispatcher.DispatchHandler)
}

class FallbackHandler implements LegacyHandler {
  readonly #pool: FallbackRoutes
  readonly #routes: readonly Route[]
  readonly #options: Dispatcher.DispatchOptions
  readonly #inner: LegacyHandler
  readonly #resendable: boolean
  #attempt = 0
  #started = false
  #abort: ((err?: Error) => void) | undefined
  #aborted: Error | undefined
  #answered = false
  /** The attempt whose request body the wrappers above were told of: each byte is counted once. */
  #bodyOn: number | undefined
  #requestSent = false

  constructor (pool: FallbackRoutes, routes: readonly Route[], options: Dispatcher.DispatchOptions, inner: LegacyHandler) {
    this.#pool = pool
    this.#routes = routes
    this.#options = options
    this.#inner = inner
    const body = options.body
    this.#resendable = body === undefined || body === null || typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Uint8Array
  }

  onConnect (abort: (err?: Error) => void, context?: unknown): void {
    this.#abort = abort
    if (this.#aborted !== undefined) {
      abort(this.#aborted)
      return
    }
    if (this.#started) return
    this.#started = true
    this.#inner.onConnect?.(this.#abortAll, context)
  }

  readonly #abortAll = (err?: Error): void => {
    this.#aborted = err ?? new Error('aborted')
    this.#abort?.(err)
  }

  onBodySent (chunk: Buffer): void {
    this.#bodyOn ??= this.#attempt
    if (this.#bodyOn === this.#attempt) this.#inner.onBodySent?.(chunk)
  }

  onRequestSent (): void {
    if (this.#requestSent) return
    this.#requestSent = true
    this.#inner.onRequestSent?.()
  }

  onResponseStarted (): void { this.#inner.onResponseStarted?.() }

  onHeaders (statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    if (!this.#answered) {
      this.#answered = true
      this.#pool.accepted(this.#routes[this.#attempt] as Route)
    }
    return this.#inner.onHeaders?.(statusCode, headers, resume, statusText) ?? true
  }

  onData (chunk: Buffer): boolean { return this.#inner.onData?.(chunk) ?? true }
  onComplete (trailers: Buffer[] | null): void { this.#inner.onComplete?.(trailers) }
  onUpgrade (statusCode: number, headers: Buffer[] | string[] | null, socket: unknown): void { this.#inner.onUpgrade?.(statusCode, headers, socket) }

  onError (err: Error): void {
    const route = this.#routes[this.#attempt] as Route
    const alert = this.#answered ? undefined : handshakeRefusal(err, this.#pool.fates)
    if (alert !== undefined) {
      this.#pool.refused(route, alert)
      const next = this.#routes[this.#attempt + 1]
      // nobody is left to read the answer: sending it again would run a call for no one
      const gone = exchangeOf(this.#options.headers)?.clientGone === true
      if (next !== undefined && this.#resendable && this.#aborted === undefined && !gone) {
        this.#attempt++
        this.#abort = undefined
        try {
          next.dispatcher.dispatch(this.#options, this as unknown as Dispatcher.DispatchHandler)
          return
        } catch (dispatchError) {
          this.#inner.onError?.(dispatchError as Error)
          return
        }
      }
    }
    this.#inner.onError?.(err)
  }
}
