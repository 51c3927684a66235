import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/**
 * Knows which of a listener's connections are serving a request, so that a
 * shutdown can close the others at once. Node's own closeIdleConnections()
 * (which Fastify's close calls) spares a connection that has sent part of a
 * request head, or connected and sent nothing yet: either held the process
 * for the whole grace period, to exit 1 with "requests still in flight" and
 * not one request in flight.
 *
 * A connection is busy from the moment its request head is complete (Node's
 * 'request', or 'checkContinue' / 'checkExpectation' for `Expect`) until the
 * response to it has closed. One that is busy when the drain starts is left
 * alone, and ended once its answer is written.
 */
export interface ConnectionTracker {
  /** Closes every connection that is not serving a request, now and from now on. */
  closeIdle (): void
}

export function trackConnections (server: Server): ConnectionTracker {
  const busy = new Map<Socket, number>()
  let draining = false

  server.on('connection', (socket: Socket) => {
    if (draining) {
      socket.destroy()
      return
    }
    busy.set(socket, 0)
    socket.once('close', () => { busy.delete(socket) })
  })

  const started = (req: { socket: Socket }, res: { once (event: 'close', fn: () => void): unknown }): void => {
    const socket = req.socket
    busy.set(socket, (busy.get(socket) ?? 0) + 1)
    res.once('close', () => {
      if (!busy.has(socket)) return
      const left = (busy.get(socket) ?? 1) - 1
      busy.set(socket, left)
      // An answer whose head went out before the drain had no `Connection: close`:
      // end the connection once what was written is flushed, not mid-answer.
      if (draining && left === 0) socket.end(() => { socket.destroy() })
    })
  }
  // prepend: counted before any handler can answer (and close) the request
  server.prependListener('request', started)
  server.prependListener('checkContinue', started)
  server.prependListener('checkExpectation', started)

  return {
    closeIdle () {
      draining = true
      for (const [socket, requests] of busy) if (requests === 0) socket.destroy()
    }
  }
}
