import http, { type IncomingMessage, type RequestListener } from 'node:http'
import type { Socket } from 'node:net'
import { SidecarRequestError } from '../errors.js'
import type { Admission } from './admit.js'
import { type ConnectionRegistry, connectionOf, mayHaveUnreadBody } from './connection-state.js'
import { closeIdleConnectionsGently } from './keep-alive.js'
import type { RequestLifecycle } from './request-lifecycle.js'
import { upstreamTarget } from './target.js'

/**
 * The proxy listener's wiring below Fastify: the HTTP server, and what Node
 * hands it before (or instead of) a route: `Expect`, `CONNECT`, and bytes its
 * parser refuses. Every socket written to here has its errors handled: a
 * client may reset any connection at any moment, and nothing a client does
 * may stop the process.
 */
export interface ListenerParts {
  readonly admission: Admission
  readonly connections: ConnectionRegistry
  readonly lifecycle: RequestLifecycle
  /** CLIENT_KEEP_ALIVE_TIMEOUT_MS */
  readonly keepAliveMs: number
}

/** Fastify's serverFactory for the proxy listener. */
export function proxyServerFactory ({ admission, connections, lifecycle, keepAliveMs }: ListenerParts): (handler: RequestListener) => http.Server {
  return (handler) => {
    // Host and Expect are checked by admission, so that their refusals come in
    // the sidecar's format (Node's own are a bare 400 and 417)
    const server = http.createServer({ requireHostHeader: false }, handler)
    // (Fastify's own keepAliveTimeout applies only to a server it creates)
    closeIdleConnectionsGently(server, keepAliveMs)
    server.on('checkExpectation', handler)
    server.on('connection', (socket: Socket) => { connections.add(socket) })
    // curl sends `Expect: 100-continue` for bodies over 1 MiB. Say "continue"
    // only when the request would be admitted, so a refused upload is never sent.
    server.on('checkContinue', (req: IncomingMessage, res) => {
      const target = upstreamTarget(req.url ?? '/')
      if (typeof target === 'string' && admission.refusal(req, target) === undefined) res.writeContinue()
      handler(req, res)
    })
    // Node closes CONNECT requests silently unless someone answers them. The
    // socket is no longer Node's: it has no 'error' listener, and a client
    // that resets it (curl -x, an app with HTTPS_PROXY pointed here) would
    // otherwise crash the process. Tunnel bytes are read and dropped.
    server.on('connect', (req: IncomingMessage, socket: Socket) => {
      socket.on('error', ignore)
      socket.resume()
      lifecycle.answerRaw(req, socket, new SidecarRequestError('METHOD_NOT_ALLOWED', 'CONNECT is not allowed: the sidecar is not an open proxy'))
    })
    return server
  }
}

/**
 * Fastify's clientErrorHandler: bytes Node's parser refuses. In a request's
 * own body (broken chunk framing) they refuse that request at once; behind a
 * request in flight they wait for its answer: answered first, the 400 would
 * be read as the answer to the request that ran upstream.
 */
export function clientErrorHandler (lifecycle: RequestLifecycle): (err: NodeJS.ErrnoException, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable || socket.readableEnded) {
      // the application has gone: nobody is left to answer
      socket.destroy()
      return
    }
    const connection = connectionOf(socket)
    const closedByApp = connection.closing
    connection.closeAfter(connection.seen)
    const current = connection.current
    if (current !== undefined && mayHaveUnreadBody(current.req)) {
      // it can never be complete: refused now, and whatever of it was on its way
      // upstream is aborted. Its answer closes the connection.
      current.fail(new SidecarRequestError('BAD_REQUEST', `the request body could not be parsed (${err.code ?? 'parse error'}); nothing more of it was sent upstream`))
      return
    }
    connection.whenIdle(() => {
      // after the application's own Connection: close there is nobody to tell
      if (err.code === 'HPE_CLOSED_CONNECTION' || closedByApp || !socket.writable) {
        socket.destroy()
        return
      }
      lifecycle.answerRaw(undefined, socket, new SidecarRequestError('BAD_REQUEST', `the request could not be parsed (${err.code ?? 'parse error'})`))
    })
  }
}

function ignore (): void {}
