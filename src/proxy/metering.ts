import type { IncomingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import { ClientGoneError, SidecarRequestError } from '../errors.js'
import type { Controller, ExchangeHandler, Interceptor } from '../upstream/handler-api.js'
import type { AccessRecord } from './access-record.js'
import { Deadlines, type HasDeadline, sweepPeriod } from './deadlines.js'
import { type Exchange, exchangeOf } from './exchange.js'

/** How long each phase of an exchange may take (ms). */
export interface ForwardLimits {
  /** Waiting for a free upstream connection (UPSTREAM_QUEUE_TIMEOUT_MS). */
  readonly queueMs: number
  /** The application's request body sending nothing (CLIENT_BODY_TIMEOUT_MS). */
  readonly clientBodyMs: number
  /** The upstream's final response headers, 1xx answers or not (UPSTREAM_TIMEOUT_MS). */
  readonly headersMs: number
  /** UPSTREAM_CONNECTIONS, for the message. */
  readonly connections: number
}

export type BodyFailure = (record: AccessRecord, error: Error) => void

/** Whether an exchange's failure cannot have reached the upstream's application (a certificate refused in the handshake). */
export type NothingRan = (error: Error) => boolean

/**
 * The interceptor that meters each request the proxy route sends (the ones
 * with an exchange: exchange.ts), so that its record sees the exchange; the
 * outermost of the chain (proxy-app.ts), the last to see the answer.
 */
export function metering (maxBodyBytes: number, limits: ForwardLimits, onBodyFailure: BodyFailure, nothingRan: NothingRan): Interceptor {
  const settings: MeterSettings = {
    maxBodyBytes,
    limits,
    onBodyFailure,
    nothingRan,
    deadlines: new Deadlines(sweepPeriod(limits.queueMs, limits.clientBodyMs, limits.headersMs))
  }
  return (dispatch) => function meter (options, handler) {
    const exchange = exchangeOf(options.headers)
    if (exchange === undefined) return dispatch(options, handler)
    // a body read whole before forwarding (read-body.ts) goes as the bytes, not the spent stream
    if (exchange.body !== undefined) options = { ...options, body: exchange.body }
    const hasBody = options.body !== undefined && options.body !== null
    return dispatch(options, new MeteredHandler(handler, exchange, hasBody, settings))
  }
}

interface MeterSettings {
  readonly maxBodyBytes: number
  readonly limits: ForwardLimits
  readonly onBodyFailure: BodyFailure
  readonly nothingRan: NothingRan
  readonly deadlines: Deadlines
}

const enum Phase { Queued, Sending, Waiting, Answered, Done }

/**
 * Counts the bytes each way as undici writes and reads them, times the
 * upstream's answer, aborts a streamed request body once it passes
 * MAX_BODY_BYTES (a declared Content-Length over it never gets this far), and
 * holds each phase to its deadline: waiting for a connection (UPSTREAM_BUSY,
 * never sent), the application's body going quiet (CLIENT_TIMEOUT), the
 * upstream's final headers even under a stream of 1xx answers
 * (UPSTREAM_TIMEOUT; undici's own timer restarts on each 1xx).
 *
 * It is also the controller its inner handler (reply-from's) acts through, so
 * that an abort from there can be turned into seeing the answer through.
 */
class MeteredHandler implements ExchangeHandler, Controller {
  readonly #inner: ExchangeHandler
  readonly #exchange: Exchange
  readonly #record: AccessRecord
  readonly #hasBody: boolean
  readonly #settings: MeterSettings
  readonly #sentAt = performance.now()
  /** undici's controller of this exchange, from onRequestStart on. */
  #controller: Controller | undefined
  #phase = Phase.Queued
  /** A POST or PATCH: once sent whole, its answer is seen through even when nobody waits for it. */
  readonly #seenThrough: boolean
  /** The application has gone and reply-from let go: the answer is read here, for the record only. */
  #detached = false
  /** The request body was refused on its way (too large, malformed): it was never taken whole. */
  #cut = false
  deadline: number
  prevTracked: HasDeadline | undefined = undefined
  nextTracked: HasDeadline | undefined = undefined

  constructor (inner: ExchangeHandler, exchange: Exchange, hasBody: boolean, settings: MeterSettings) {
    this.#inner = inner
    this.#exchange = exchange
    this.#record = exchange.record
    this.#seenThrough = exchange.req.method === 'POST' || exchange.req.method === 'PATCH'
    this.#hasBody = hasBody
    this.#settings = settings
    this.deadline = this.#sentAt + settings.limits.queueMs
    settings.deadlines.track(this)
    exchange.onStop(this)
  }

  /** Ends the exchange from outside (its request body turned out to be malformed). */
  stopExchange (err: SidecarRequestError): void {
    this.#cut = true
    if (this.#phase === Phase.Queued) this.#dropQueued(err)
    else if (this.#phase !== Phase.Done) this.#controller?.abort(err)
  }

  /** Never handed to a connection: answer now, and drop it when undici gets to it. */
  #dropQueued (err: SidecarRequestError): void {
    this.#finish()
    this.#inner.onResponseError?.(this, err)
  }

  expire (): void {
    const { limits } = this.#settings
    if (this.#phase === Phase.Queued) {
      this.#dropQueued(new SidecarRequestError('UPSTREAM_BUSY',
        `no upstream connection freed up within UPSTREAM_QUEUE_TIMEOUT_MS (${limits.queueMs} ms): all ${limits.connections} UPSTREAM_CONNECTIONS are busy; the request was not sent`))
    } else if (this.#phase === Phase.Sending) {
      this.#controller?.abort(new SidecarRequestError('CLIENT_TIMEOUT', `the request body sent nothing for CLIENT_BODY_TIMEOUT_MS (${limits.clientBodyMs} ms); the upstream request was aborted`))
    } else if (this.#phase === Phase.Waiting) {
      this.#controller?.abort(new SidecarRequestError('UPSTREAM_TIMEOUT', `timed out waiting for the upstream's response headers (UPSTREAM_TIMEOUT_MS, ${limits.headersMs} ms)`))
    }
  }

  #finish (): void {
    this.#phase = Phase.Done
    this.#settings.deadlines.untrack(this)
    this.#exchange.onStop(undefined)
    this.#exchange.upstreamDone()
  }

  // The controller reply-from's side acts through.

  get aborted (): boolean { return this.#controller?.aborted ?? false }
  get paused (): boolean { return this.#controller?.paused ?? false }
  get reason (): Error | null { return this.#controller?.reason ?? null }
  get rawHeaders (): Controller['rawHeaders'] { return this.#controller?.rawHeaders }
  get rawTrailers (): Controller['rawTrailers'] { return this.#controller?.rawTrailers }
  pause (): void { this.#controller?.pause() }
  resume (): void { this.#controller?.resume() }

  /**
   * reply-from's abort. When the application has gone after its whole POST or
   * PATCH was sent, the call is running upstream and will be billed: it is not
   * abandoned. reply-from is let go (told the exchange ended), and the answer
   * is read to its end here, so its outcome is recorded.
   */
  abort (err?: Error): void {
    const phase = this.#phase
    if (this.#exchange.clientGone && this.#exchange.upstreamHeld && (phase === Phase.Waiting || phase === Phase.Answered)) {
      if (this.#detached) return
      this.#detached = true
      this.#record.answerLost = true
      // a slow reader may have paused undici, and undici's body timeout waits while paused
      this.#controller?.resume()
      const inner = this.#inner
      queueMicrotask(() => { inner.onResponseError?.(this, err ?? new ClientGoneError('the application closed the connection before the answer')) })
      return
    }
    this.#controller?.abort(err as Error)
  }

  // The handler undici calls.

  onRequestStart (controller: Controller, context: unknown): void {
    if (this.#phase === Phase.Done) {
      controller.abort(new SidecarRequestError('UPSTREAM_BUSY', 'given up while waiting for a connection'))
      return
    }
    if (this.#exchange.clientGone) {
      // the application left while this waited for a connection: nothing was sent, nothing is
      this.#finish()
      controller.abort(new ClientGoneError('the application closed the connection while the request waited for an upstream connection; it was not sent'))
      return
    }
    this.#controller = controller
    const { limits } = this.#settings
    this.#phase = this.#hasBody ? Phase.Sending : Phase.Waiting
    this.deadline = performance.now() + (this.#hasBody ? limits.clientBodyMs : limits.headersMs)
    this.#inner.onRequestStart?.(this, context)
  }

  onBodySent (chunk: Buffer): void {
    const record = this.#record
    // undici passes the chunk written (its type declarations still say a size)
    record.bytesIn += typeof chunk === 'number' ? chunk : chunk.length
    if (record.bytesIn > this.#settings.maxBodyBytes) {
      this.#cut = true
      this.#controller?.abort(new SidecarRequestError('BODY_TOO_LARGE', `the request body is larger than MAX_BODY_BYTES (${this.#settings.maxBodyBytes})`))
      return
    }
    if (this.#phase === Phase.Sending) this.deadline = performance.now() + this.#settings.limits.clientBodyMs
    this.#inner.onBodySent?.(chunk)
  }

  onRequestSent (): void {
    // the whole body went upstream within the limit: a request behind it may go on
    if (!this.#cut) this.#exchange.bodyTaken()
    // sent whole: from here the call may run upstream, and its answer is seen through
    if (this.#seenThrough && !this.#cut && this.#phase !== Phase.Done) this.#exchange.upstreamHeld = true
    if (this.#phase === Phase.Sending) {
      this.#phase = Phase.Waiting
      this.deadline = performance.now() + this.#settings.limits.headersMs
    }
    this.#inner.onRequestSent?.()
  }

  onResponseStarted (): void { this.#inner.onResponseStarted?.() }

  onResponseStart (controller: Controller, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (this.#phase === Phase.Done) {
      controller.pause()
      return
    }
    if (statusCode < 100 || statusCode > 599) {
      // llhttp passes any three digits. Left to undici, a status under 100 trips its
      // `assert(statusCode >= 100)`, whose message Node builds by reading the source
      // line: from the bundle's one long line that stalls the process for seconds
      // and yields no "statusCode" to classify, so it was answered 500. Refused here,
      // before undici asserts or reply-from writes it, it is the upstream's fault.
      // (onResponseError, which the abort calls, ends the exchange's phase)
      controller.abort(new SidecarRequestError('UPSTREAM_BAD_RESPONSE', `the upstream's answer is not valid HTTP: its status code is not between 100 and 599 (${statusCode})`))
      return
    }
    // 1xx answers come here too; the time that counts is to the final one
    if (statusCode >= 200) {
      // from here the body timeout is undici's (UPSTREAM_BODY_TIMEOUT_MS)
      this.#settings.deadlines.untrack(this)
      this.#phase = Phase.Answered
      this.#record.upstreamMs = performance.now() - this.#sentAt
      this.#record.upstreamStatus = statusCode
    }
    if (this.#detached) return
    this.#inner.onResponseStart?.(this, statusCode, headers, statusMessage)
  }

  onResponseData (_controller: Controller, chunk: Buffer): void {
    // a billable call's answer, read for its transaction ids as it passes (seen through or not)
    this.#exchange.transactionIds?.feed(chunk)
    if (this.#detached) return
    this.#record.bytesOut += chunk.length
    this.#inner.onResponseData?.(this, chunk)
  }

  onResponseEnd (_controller: Controller, trailers: IncomingHttpHeaders): void {
    if (this.#exchange.clientGone && this.#exchange.upstreamHeld) this.#record.answerLost = true
    this.#finish()
    if (!this.#detached) this.#inner.onResponseEnd?.(this, trailers)
  }

  onResponseError (_controller: Controller, err: Error): void {
    const phase = this.#phase
    // sent whole, then refused in the handshake (TLS 1.3 writes the request before the
    // server has judged the certificate): the server never read it, nothing ran
    if (this.#exchange.upstreamHeld && this.#settings.nothingRan(err)) {
      this.#exchange.upstreamHeld = false
      this.#record.answerLost = false
    }
    // sent whole, and no whole answer: it may have run (the journal and /transactions call it unknown)
    if (this.#exchange.upstreamHeld) this.#record.outcomeUnknown = true
    // the application had gone and the call was sent: its outcome is now unknown
    if (this.#exchange.clientGone && this.#exchange.upstreamHeld) {
      this.#record.answerLost = true
      if (phase !== Phase.Done) this.#settings.onBodyFailure(this.#record, err)
    }
    this.#finish()
    if (phase === Phase.Done || this.#detached) return // already answered (UPSTREAM_BUSY), or nobody is listening
    if (phase === Phase.Answered) this.#settings.onBodyFailure(this.#record, err)
    this.#inner.onResponseError?.(this, err)
  }

  onRequestUpgrade (_controller: Controller, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.#inner.onRequestUpgrade?.(this, statusCode, headers, socket)
  }
}
