import type { Socket } from 'node:net'

/**
 * What the proxy knows about one inbound connection: how many of its answers
 * are still open, and whether it is closing. RFC 9112 §9.6: once an answer
 * says `Connection: close`, no later request on that connection is processed,
 * so nothing is forwarded (and billed) whose answer could never be read.
 */
export class ConnectionState {
  /** Requests on this connection whose answer has not closed yet. */
  open = 0
  /** An answer on it closes the connection: later requests are not processed. */
  closing = false
  /** Runs once no answer is open any more (a parse error waits for this). */
  #onIdle: (() => void) | undefined

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

/** Whether a request may still have body bytes on the wire that nobody has read. */
export function mayHaveUnreadBody (req: { headers: Record<string, string | string[] | undefined>, complete: boolean }): boolean {
  if (req.complete) return false
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}
