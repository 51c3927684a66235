import type { Socket } from 'node:net'
import type { Exchange } from './exchange.js'

/**
 * What the proxy knows about one inbound connection: how many of its answers
 * are still open, and whether it is closing. RFC 9112 §9.6: once an answer
 * says `Connection: close`, no later request on that connection is processed,
 * so nothing is forwarded (and billed) whose answer could never be read.
 */
export class ConnectionState {
  /** Requests on this connection whose answer has not closed yet. */
  open = 0
  /** Requests seen on it so far: each request's number is its place on the connection. */
  seen = 0
  /** The last request that may be processed: an answer that closes the connection ends the list there. */
  #lastProcessed = Number.POSITIVE_INFINITY
  /** The latest request on it: a parse error while its body is unread belongs to it. */
  current: Exchange | undefined = undefined
  /** Runs once no answer is open any more (a parse error waits for this). */
  #onIdle: (() => void) | undefined
  /** The request whose body is being read now: a later request waits until it is all read. */
  #bodyOwner: Exchange | undefined = undefined
  #afterBody: Array<() => void> = []

  /**
   * Runs `fn` once no earlier request on this connection has body bytes left
   * to read. A request pipelined behind a body is parsed as soon as that body
   * is, before the sidecar has judged it (a streamed body over MAX_BODY_BYTES,
   * broken chunk framing): it must wait for that verdict, since an answer that
   * closes the connection means it is never to run.
   */
  afterBodies (fn: () => void): void {
    if (this.#bodyOwner === undefined) fn()
    else this.#afterBody.push(fn)
  }

  /** `exchange` reads its body now: later requests wait (afterBodies). */
  holdBody (exchange: Exchange): void {
    this.#bodyOwner = exchange
  }

  /** `exchange`'s body has been read, or the request ended: the next request may go on. */
  bodyDone (exchange: Exchange): void {
    if (this.#bodyOwner !== exchange) return
    this.#bodyOwner = undefined
    while (this.#bodyOwner === undefined && this.#afterBody.length > 0) (this.#afterBody.shift() as () => void)()
  }

  /** Whether an answer closes the connection: no request after it is processed. */
  get closing (): boolean {
    return this.#lastProcessed !== Number.POSITIVE_INFINITY
  }

  /** Request number `seq` closes the connection: nothing after it is processed. */
  closeAfter (seq: number): void {
    if (seq < this.#lastProcessed) this.#lastProcessed = seq
  }

  /** Whether request number `seq` may still be processed. */
  processes (seq: number): boolean {
    return seq <= this.#lastProcessed
  }

  /** Runs `fn` once every open answer has closed (at once when none is open). */
  whenIdle (fn: () => void): void {
    if (this.open === 0) fn()
    else this.#onIdle = fn
  }

  /** One answer closed. */
  release (): void {
    this.open--
    if (this.open === 0 && this.#onIdle !== undefined) {
      const fn = this.#onIdle
      this.#onIdle = undefined
      fn()
    }
  }
}

const states = new WeakMap<Socket, ConnectionState>()

export function connectionOf (socket: Socket): ConnectionState {
  let state = states.get(socket)
  if (state === undefined) {
    state = new ConnectionState()
    states.set(socket, state)
  }
  return state
}

/**
 * Every open connection of the proxy listener, so that a shutdown can close
 * the ones not serving a request at once. Node's own closeIdleConnections()
 * (which Fastify's close calls) spares a connection that has sent part of a
 * request head, or connected and sent nothing yet: either held the process
 * for the whole grace period, to exit 1 with "requests still in flight" and
 * not one request in flight. A connection busy when the drain starts is ended
 * once its last answer is written.
 */
export class ConnectionRegistry {
  readonly #sockets = new Set<Socket>()
  /** The lifecycle's one draining fact, read, never held here. */
  readonly #isDraining: () => boolean

  constructor (draining: () => boolean) {
    this.#isDraining = draining
  }

  /** For the listener's 'connection' event. */
  add (socket: Socket): void {
    if (this.#isDraining()) {
      socket.destroy()
      return
    }
    this.#sockets.add(socket)
    socket.once('close', () => { this.#sockets.delete(socket) })
  }

  /** One answer on `socket` closed; while draining, an idle connection ends. */
  released (socket: Socket | null, state: ConnectionState): void {
    if (this.#isDraining() && state.open === 0 && socket !== null && !socket.destroyed) socket.end(() => { socket.destroy() })
  }

  /** Closes every connection that is not serving a request; call it once draining has begun (new ones are refused from then on). */
  closeIdle (): void {
    for (const socket of this.#sockets) if ((states.get(socket)?.open ?? 0) === 0) socket.destroy()
  }
}

/** Whether a request may still have body bytes on the wire that nobody has read. */
export function mayHaveUnreadBody (req: { headers: Record<string, string | string[] | undefined>, complete: boolean }): boolean {
  if (req.complete) return false
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}
