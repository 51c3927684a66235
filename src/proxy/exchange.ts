import type { IncomingMessage } from 'node:http'
import type { UpstreamAuth } from '../auth/auth-stage.js'
import type { SidecarRequestError } from '../errors.js'
import type { AccessRecord } from './access-record.js'
import type { ConnectionState } from './connection-state.js'

/**
 * What one request shares between the stages and the dispatchers that run
 * its upstream exchange. It rides to undici on the upstream headers object
 * (under a symbol: undici reads only string keys), the one way per-request
 * data reaches the dispatchers.
 */
export class Exchange {
  readonly record: AccessRecord
  readonly req: IncomingMessage
  /** The application's connection it came on, and its place there (ConnectionState.seen). */
  readonly connection: ConnectionState
  readonly seq: number
  /** Stage 3's decision: what the request carries upstream. */
  auth: UpstreamAuth | undefined = undefined
  /**
   * The whole request body, when it was small enough to be read before an
   * upstream connection was taken (read-body.ts): sent instead of the stream,
   * and kept for a 401 replay on OAuth2 routes.
   */
  body: Buffer | undefined = undefined
  /** The application's connection closed before its answer was complete. */
  clientGone = false
  /**
   * A POST or PATCH sent whole upstream whose exchange has not ended: if the
   * application leaves now, the answer is still read (metering.ts) and the
   * record waits for it (request-lifecycle.ts).
   */
  upstreamHeld = false
  #afterUpstream: (() => void) | undefined = undefined
  /** Told once the whole request body has been taken and judged (read whole, or sent upstream). */
  bodyTaken: () => void = noop
  /** How to end the part of the exchange running now (body read, upstream call); unset: answer directly. */
  #stop: Stop | undefined = undefined
  readonly #answer: (err: SidecarRequestError) => void

  constructor (record: AccessRecord, req: IncomingMessage, connection: ConnectionState, seq: number, answer: (err: SidecarRequestError) => void) {
    this.record = record
    this.req = req
    this.connection = connection
    this.seq = seq
    this.#answer = answer
  }

  /** Runs `fn` once the upstream exchange has ended, at once when none is held. */
  whenUpstreamDone (fn: () => void): void {
    if (!this.upstreamHeld) fn()
    else this.#afterUpstream = fn
  }

  /** The upstream exchange ended (answer complete, or failed). */
  upstreamDone (): void {
    this.upstreamHeld = false
    const fn = this.#afterUpstream
    if (fn === undefined) return
    this.#afterUpstream = undefined
    fn()
  }

  /** The stage running now says how to end it; `undefined` when it is over. */
  onStop (stop: Stop | undefined): void {
    this.#stop = stop
  }

  /**
   * Ends the request with `err` from outside its own flow (its body turned out
   * to be malformed): the running stage stops and answers, or, between stages,
   * the answer goes out at once and later stages find the reply sent.
   */
  fail (err: SidecarRequestError): void {
    const stop = this.#stop
    if (stop !== undefined) {
      this.#stop = undefined
      if (typeof stop === 'function') stop(err)
      else stop.stopExchange(err)
    } else {
      this.#answer(err)
    }
  }
}

/**
 * How a stage is ended from outside: a function, or an object that is
 * stopped through its method (the upstream exchange's handler: no closure
 * made per request for it).
 */
export type Stop = ((err: SidecarRequestError) => void) | { stopExchange: (err: SidecarRequestError) => void }

function noop (): void {}

const kExchange = Symbol('sidecar.exchange')
type Carrier = Record<string, string | string[]> & { [kExchange]?: Exchange }

/** Marks the upstream headers of a request with its exchange. */
export function attachExchange (headers: Record<string, string | string[]>, exchange: Exchange): void {
  (headers as Carrier)[kExchange] = exchange
}

/** The exchange a dispatch belongs to, if the proxy route made it. */
export function exchangeOf (headers: unknown): Exchange | undefined {
  return (headers as Carrier | undefined)?.[kExchange]
}
