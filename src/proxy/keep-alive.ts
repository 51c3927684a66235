import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/**
 * How the proxy listener ends an application's idle keep-alive connection.
 *
 * Node advertises `Keep-Alive: timeout=N` (N = `keepAliveTimeout` in whole
 * seconds) on every answer that keeps its connection, and closes a connection
 * that stays idle for N s plus one more (its own margin), so that a client
 * that honours the hint (undici, Node's http.Agent, Apache HttpClient)
 * always closes first. A client that ignores it (Go's net/http keeps idle
 * connections 90 s, libcurl 118 s, Python's urllib3 until the server closes)
 * can send its next request at the moment the sidecar closes: the classic
 * keep-alive race, which the application sees as a reset.
 *
 * Node decides in its timers phase, before it reads the sockets again: after
 * any busy stretch of the event loop (a burst of answers, a garbage
 * collection, building the TLS context of a new identity), a request that
 * arrived during it is still unread in the kernel when the expired timer
 * fires, and Node's `socket.destroy()` answers it with a reset, without a
 * record or an access line. Measured on loopback: a request sent 300 ms
 * before the close, while the loop was busy for 600 ms, was reset every time.
 *
 * So the decision is looked at again one turn of the loop later, after the
 * sockets have been read: a connection whose next request has begun arriving
 * is kept (Node stops the keep-alive timer once its head is complete; a head
 * that never completes meets the timer again, and `headersTimeout`), and only
 * one that stayed silent is closed. With nothing unread, the close is a FIN,
 * which clients see before they reuse the connection.
 */
export function closeIdleConnectionsGently (server: Server, keepAliveTimeoutMs: number): void {
  server.keepAliveTimeout = keepAliveTimeoutMs
  // With a 'timeout' listener Node leaves the socket to it. The proxy listener
  // sets no other socket timeout (server.timeout stays 0), so this is only
  // ever the keep-alive timer of an idle connection.
  server.on('timeout', closeIfStillIdle)
}

function closeIfStillIdle (socket: Socket): void {
  const read = socket.bytesRead
  setImmediate(() => {
    if (socket.destroyed || socket.bytesRead !== read) return
    socket.destroy()
  })
}
