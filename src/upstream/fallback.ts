import type { Dispatcher } from 'undici'
import type { Member } from '../identity/identity-set.js'
import { exchangeOf } from '../proxy/exchange.js'
import type { SocketFates } from './tls-connector.js'

/**
 * undici 7's legacy handler API (onConnect, onHeaders, …), what its core calls
 * and what the chain's bottom hands the pool (undici7-bridge.ts LegacyFace).
 */
interface LegacyHandler {
  onConnect?: (abort: (err?: Error) => void, context?: unknown) => void
  onHeaders?: (statusCode: number, headers: Buffer[], resume: () => void, statusText: string) => boolean
  onData?: (chunk: Buffer) => boolean
  onComplete?: (trailers: Buffer[] | null) => void
  onError?: (err: Error) => void
  onUpgrade?: (statusCode: number, headers: Buffer[] | string[] | null, socket: unknown) => void
  onResponseStarted?: () => void
  onBodySent?: (chunk: Buffer) => void
  onRequestSent?: () => void
}

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
  const attempts = new Attempts(pool, routes, options)
  // undici takes handlers of both APIs: an interceptor's (onRequestStart, …) or the request API's (onConnect, …)
  const wrapped = typeof (handler as { onRequestStart?: unknown }).onRequestStart === 'function'
    ? new ControllerFallbackHandler(attempts, handler as ControllerHandler)
    : new FallbackHandler(attempts, handler as LegacyHandler)
  return (routes[0] as Route).dispatcher.dispatch(options, wrapped as unknown as Dispatcher.DispatchHandler)
}

/** The attempts of one request, one member each, and the rule for going on to the next. */
class Attempts {
  readonly pool: FallbackRoutes
  readonly routes: readonly Route[]
  readonly options: Dispatcher.DispatchOptions
  readonly #resendable: boolean
  index = 0
  answered = false

  constructor (pool: FallbackRoutes, routes: readonly Route[], options: Dispatcher.DispatchOptions) {
    this.pool = pool
    this.routes = routes
    this.options = options
    const body = options.body
    this.#resendable = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array
  }

  /** The upstream answered: the member is accepted. */
  answer (): void {
    if (this.answered) return
    this.answered = true
    this.pool.accepted(this.routes[this.index] as Route)
  }

  /**
   * The attempt failed with `err`: a handshake refusal marks its member and,
   * when the request can be sent again and another member is left, returns
   * that member's route (the caller dispatches on it); otherwise undefined.
   */
  next (err: Error, aborted: boolean): Route | undefined {
    const alert = this.answered ? undefined : handshakeRefusal(err, this.pool.fates)
    if (alert === undefined) return undefined
    this.pool.refused(this.routes[this.index] as Route, alert)
    const next = this.routes[this.index + 1]
    // nobody is left to read the answer: sending it again would run a call for no one
    const gone = exchangeOf(this.options.headers)?.clientGone === true
    if (next === undefined || !this.#resendable || aborted || gone) return undefined
    this.index++
    return next
  }
}

/**
 * What both fallback handlers tell the wrappers above of the request's
 * sending, once for the whole request whichever member's attempt runs: the
 * body bytes of one attempt (each byte counted once), "sent whole" once, and
 * the answer's start. undici 8's core calls these on either API; on undici 7,
 * undici7-bridge.ts does.
 */
abstract class SendsOnce {
  protected readonly attempts: Attempts
  readonly #above: SendingEvents
  /** The attempt whose request body the wrappers above were told of. */
  #bodyOn: number | undefined
  #requestSent = false

  constructor (attempts: Attempts, above: SendingEvents) {
    this.attempts = attempts
    this.#above = above
  }

  onBodySent (chunk: Buffer): void {
    this.#bodyOn ??= this.attempts.index
    if (this.#bodyOn === this.attempts.index) this.#above.onBodySent?.(chunk)
  }

  onRequestSent (): void {
    if (this.#requestSent) return
    this.#requestSent = true
    this.#above.onRequestSent?.()
  }

  onResponseStarted (): void { this.#above.onResponseStarted?.() }
}

interface SendingEvents {
  onBodySent?: (chunk: Buffer) => void
  onRequestSent?: () => void
  onResponseStarted?: () => void
}

/** The fallback for a handler of undici's request API (onConnect, onHeaders, …), as the proxy route's chain hands today. */
class FallbackHandler extends SendsOnce implements LegacyHandler {
  readonly #inner: LegacyHandler
  #started = false
  #abort: ((err?: Error) => void) | undefined
  #aborted: Error | undefined

  constructor (attempts: Attempts, inner: LegacyHandler) {
    super(attempts, inner)
    this.#inner = inner
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


  onHeaders (statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    this.attempts.answer()
    return this.#inner.onHeaders?.(statusCode, headers, resume, statusText) ?? true
  }

  onData (chunk: Buffer): boolean { return this.#inner.onData?.(chunk) ?? true }
  onComplete (trailers: Buffer[] | null): void { this.#inner.onComplete?.(trailers) }
  onUpgrade (statusCode: number, headers: Buffer[] | string[] | null, socket: unknown): void { this.#inner.onUpgrade?.(statusCode, headers, socket) }

  onError (err: Error): void {
    const next = this.attempts.next(err, this.#aborted !== undefined)
    if (next === undefined) {
      this.#inner.onError?.(err)
      return
    }
    this.#abort = undefined
    try {
      next.dispatcher.dispatch(this.attempts.options, this as unknown as Dispatcher.DispatchHandler)
    } catch (dispatchError) {
      this.#inner.onError?.(dispatchError as Error)
    }
  }
}

/** undici's controller, as the handler API of undici 7 and 8 (interceptors) hands it. */
interface Controller {
  abort: (reason: Error) => void
  pause: () => void
  resume: () => void
  readonly paused: boolean
  readonly aborted: boolean
  readonly reason: Error | null
}

interface ControllerHandler {
  onRequestStart?: (controller: Controller, context: unknown) => void
  onRequestUpgrade?: (controller: Controller, statusCode: number, headers: unknown, socket: unknown) => void
  onBodySent?: (chunk: Buffer) => void
  onRequestSent?: () => void
  onResponseStarted?: () => void
  onResponseStart?: (controller: Controller, statusCode: number, headers: unknown, statusMessage?: string) => void
  onResponseData?: (controller: Controller, chunk: Buffer) => void
  onResponseEnd?: (controller: Controller, trailers: unknown) => void
  onResponseError?: (controller: Controller, err: Error) => void
}

/**
 * The same fallback for a handler of the controller API (an interceptor's):
 * the handler above sees one controller for the whole request, whichever
 * member's attempt is running under it.
 */
class ControllerFallbackHandler extends SendsOnce implements ControllerHandler {
  readonly #inner: ControllerHandler
  #current: Controller | undefined
  #started = false
  #aborted: Error | undefined
  readonly #view: Controller

  constructor (attempts: Attempts, inner: ControllerHandler) {
    super(attempts, inner)
    this.#inner = inner
    const self = (): ControllerFallbackHandler => this
    this.#view = {
      abort: (reason) => { self().#aborted = reason; self().#current?.abort(reason) },
      pause: () => { self().#current?.pause() },
      resume: () => { self().#current?.resume() },
      get paused () { return self().#current?.paused ?? false },
      get aborted () { return self().#aborted !== undefined || (self().#current?.aborted ?? false) },
      get reason () { return self().#aborted ?? self().#current?.reason ?? null }
    }
  }

  onRequestStart (controller: Controller, context: unknown): void {
    this.#current = controller
    if (this.#aborted !== undefined) {
      controller.abort(this.#aborted)
      return
    }
    if (this.#started) return
    this.#started = true
    this.#inner.onRequestStart?.(this.#view, context)
  }

  onRequestUpgrade (_controller: Controller, statusCode: number, headers: unknown, socket: unknown): void {
    this.#inner.onRequestUpgrade?.(this.#view, statusCode, headers, socket)
  }


  onResponseStart (_controller: Controller, statusCode: number, headers: unknown, statusMessage?: string): void {
    this.attempts.answer()
    this.#inner.onResponseStart?.(this.#view, statusCode, headers, statusMessage)
  }

  onResponseData (_controller: Controller, chunk: Buffer): void { this.#inner.onResponseData?.(this.#view, chunk) }
  onResponseEnd (_controller: Controller, trailers: unknown): void { this.#inner.onResponseEnd?.(this.#view, trailers) }

  onResponseError (_controller: Controller, err: Error): void {
    const next = this.attempts.next(err, this.#aborted !== undefined)
    if (next === undefined) {
      this.#inner.onResponseError?.(this.#view, err)
      return
    }
    this.#current = undefined
    try {
      next.dispatcher.dispatch(this.attempts.options, this as unknown as Dispatcher.DispatchHandler)
    } catch (dispatchError) {
      this.#inner.onResponseError?.(this.#view, dispatchError as Error)
    }
  }
}
