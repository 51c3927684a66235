import { randomUUID } from 'node:crypto'
import http, { type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify'
import type { Logger } from 'pino'
import type { AuthRoutes } from '../auth/auth-routes.js'
import { authStage } from '../auth/auth-stage.js'
import { ReplayOn401Dispatcher } from '../auth/replay-on-401.js'
import type { TokenStore } from '../auth/token-store.js'
import type { Config } from '../config/schema.js'
import { upstreamOrigin, upstreamServername } from '../config/load-config.js'
import { SidecarRequestError } from '../errors.js'
import type { IdentityStore } from '../identity/identity-store.js'
import type { Readiness } from '../readiness.js'
import type { Lifecycle } from '../lifecycle.js'
import { classifyUpstreamError } from '../upstream/classify-error.js'
import type { UpstreamPool } from '../upstream/upstream-pool.js'
import { type AccessLog, AccessRecord } from './access-record.js'
import { Admission } from './admit.js'
import { answerError, answerOnSocket, asSidecarError } from './answer-errors.js'
import { type ConnectionRegistry, connectionOf, mayHaveUnreadBody } from './connection-state.js'
import { Exchange } from './exchange.js'
import { registerForward } from './forward.js'
import { requestIdOf } from './header-policy.js'
import { readBodyStage } from './read-body.js'
import { rewriteTarget, upstreamTarget } from './target.js'
import { NO_ROUTE_SCHEMAS } from '../no-route-schemas.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's access record (stage 6), filled by every stage. */
    record: AccessRecord
    /** What the stages and the upstream dispatchers share about this request. */
    exchange: Exchange
  }
}

export interface ProxyAppOptions {
  config: Readonly<Config>
  store: IdentityStore
  pool: UpstreamPool
  readiness: Readiness
  lifecycle: Lifecycle
  logger: Logger
  accessLog: AccessLog
  connections: ConnectionRegistry
  routes: AuthRoutes
  tokens: TokenStore | undefined
}

/**
 * The proxy listener: plain HTTP in from the application, mutual TLS out to
 * the one configured upstream. A request meets the stages in this order:
 *
 *   1 admit     admit.ts           method, target, size, proxy token, readiness
 *   2 headers   header-policy.ts   request id; what crosses, both directions
 *   3 auth      ../auth/           the route's scheme: Basic, Bearer, API key, pass-through
 *   4 forward   forward.ts         the one proxy route, metered, to the pool
 *   5 answer    answer-errors.ts   every failure as the sidecar's JSON error
 *   6 record    access-record.ts   one record per request, written once
 *
 * Built without a process, so tests drive it.
 */
export async function buildProxyApp (options: ProxyAppOptions): Promise<FastifyInstance> {
  const { config, store, pool, lifecycle, logger, accessLog, connections } = options
  const admission = new Admission({ maxBodyBytes: config.MAX_BODY_BYTES, proxyAuthToken: config.PROXY_AUTH_TOKEN }, options.readiness)

  /**
   * Stage 6 starts with the request: its record, and the one place it is
   * written. Returns undefined for a request that must not be processed at
   * all, because an earlier answer on its connection closes it.
   */
  function track (request: FastifyRequest, reply: FastifyReply): AccessRecord | undefined {
    const raw = request.raw
    const record = new AccessRecord(request.id, raw.method ?? '', request.url, headerValue(raw.headers.traceparent))
    request.record = record
    const socket = raw.socket
    const connection = connectionOf(socket)
    const exchange = new Exchange(record, raw, connection, ++connection.seen, (err) => { if (!reply.sent) answerError(reply, record, err) })
    request.exchange = exchange
    if (!connection.processes(exchange.seq)) {
      // Never forwarded, never answered: the connection closes once the earlier
      // answer is out. Its line says so (status 0, incomplete).
      record.incomplete = true
      accessLog.write(record)
      return undefined
    }
    // the application's own `Connection: close`, or HTTP/1.0 without keep-alive
    if (!reply.raw.shouldKeepAlive) connection.closeAfter(exchange.seq)
    connection.open++
    connection.current = exchange
    lifecycle.requestStarted()
    // 'close' fires however the exchange ends: answered, refused, cut short or abandoned
    reply.raw.once('close', () => {
      lifecycle.requestEnded()
      exchange.clientGone = !reply.raw.writableFinished
      record.settle(reply.raw)
      accessLog.write(record)
      if (connection.current === exchange) connection.current = undefined
      connection.bodyDone(exchange)
      connection.release()
      connections.released(socket, connection)
    })
    return record
  }

  /** For the requests answered on the socket, before Fastify: their record, written at once. */
  function answerRaw (req: IncomingMessage | undefined, socket: Socket, err: SidecarRequestError): void {
    const record = new AccessRecord(req === undefined ? randomUUID() : requestIdOf(req), req?.method ?? '', req?.url ?? '', undefined)
    answerOnSocket(socket, record, err)
    accessLog.write(record)
  }

  // The proxy route's own logger is held at 'error' (forward.ts): made once here,
  // where Fastify would otherwise make a child logger per request.
  const routeLogger = logger.child({}, { level: 'error' })
  const app = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    // one access line per request (the record) instead of Fastify's two,
    // and no child logger per request: the lines that need the id carry it
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    childLoggerFactory: (parent, _bindings, opts) => opts.level === 'error' ? routeLogger as unknown as typeof parent : parent,
    genReqId: requestIdOf,
    rewriteUrl: rewriteTarget,
    return503OnClosing: false,
    schemaController: { compilersFactory: NO_ROUTE_SCHEMAS },
    // A target the router cannot parse (`GET ftp://x/y`, a path too long) is answered
    // before any hook runs: it gets its record and answer here.
    frameworkErrors: (error, request, reply) => {
      const record = track(request, reply)
      if (record === undefined) return
      reply.header('x-request-id', request.id)
      answerError(reply, record, new SidecarRequestError('BAD_REQUEST_TARGET', `the request target cannot be forwarded (${error.code})`))
    },
    // A request Node's parser refuses never reaches a route. Bytes that do not
    // parse behind a request in flight wait for its answer: answered first, the
    // 400 would be read as the answer to the request that ran upstream.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket: Socket) => {
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
        // The bytes that do not parse are this request's own body (broken chunk
        // framing): it can never be complete, so it is refused now and whatever
        // of it was on its way upstream is aborted. Its answer closes the connection.
        current.fail(new SidecarRequestError('BAD_REQUEST', `the request body could not be parsed (${err.code ?? 'parse error'}); nothing more of it was sent upstream`))
        return
      }
      connection.whenIdle(() => {
        // after the application's own Connection: close there is nobody to tell
        if (err.code === 'HPE_CLOSED_CONNECTION' || closedByApp || !socket.writable) {
          socket.destroy()
          return
        }
        answerRaw(undefined, socket, new SidecarRequestError('BAD_REQUEST', `the request could not be parsed (${err.code ?? 'parse error'})`))
      })
    },
    serverFactory: (handler) => {
      // Host and Expect are checked by admission, so that their refusals come in
      // the sidecar's format (Node's own are a bare 400 and 417)
      const server = http.createServer({ requireHostHeader: false }, handler)
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
        answerRaw(req, socket, new SidecarRequestError('METHOD_NOT_ALLOWED', 'CONNECT is not allowed: the sidecar is not an open proxy'))
      })
      return server
    }
  })
  app.decorateRequest('record', null as unknown as AccessRecord)
  app.decorateRequest('exchange', null as unknown as Exchange)

  // stages 1 and 2 on the way in: the record, the request id, admission
  app.addHook('onRequest', (request, reply, done) => {
    const record = track(request, reply)
    if (record === undefined) return
    reply.header('x-request-id', request.id)
    const refused = admission.refusal(request.raw, request.url)
    if (refused !== undefined) {
      answerError(reply, record, refused)
      return
    }
    const raw = request.raw
    const connection = connectionOf(raw.socket)
    // A pipelined request goes on only once the bodies before it are judged.
    connection.afterBodies(() => {
      // answered meanwhile (its own body broke), or an earlier answer closes the
      // connection: never forwarded, its line written when the connection closes
      if (reply.sent || !connection.processes(request.exchange.seq)) return
      if (mayHaveUnreadBody(raw)) {
        const exchange = request.exchange
        connection.holdBody(exchange)
        // read whole (read-body.ts) or sent upstream whole (forward.ts): not merely
        // read from the socket, since the verdict on the last bytes comes after
        exchange.bodyTaken = () => { connection.bodyDone(exchange) }
      }
      done()
    })
  })

  // Only reached for targets the proxy route cannot match (e.g. `*`), as every path is proxied.
  app.setNotFoundHandler((request, reply) => {
    answerError(reply, request.record, new SidecarRequestError('BAD_REQUEST_TARGET', `the request target ${request.url.slice(0, 64)} cannot be forwarded`))
  })

  app.setErrorHandler((error: Error & { statusCode?: number, code?: string }, request, reply) => {
    let err = asSidecarError(error, config.MAX_BODY_BYTES)
    // a malformed upstream body (a bad chunk size) surfaces here, not in the forward stage
    if (err.code === 'INTERNAL_ERROR') {
      const upstream = classifyUpstreamError(error, pool.fates)
      if (upstream.code === 'UPSTREAM_BAD_RESPONSE') err = upstream
    }
    if (err.code === 'INTERNAL_ERROR') logger.error({ requestId: request.id, errorCode: error.code, errorName: error.name }, 'unexpected error in the proxy')
    answerError(reply, request.record, err)
  })

  // Fastify's own parsers would buffer and decode bodies (text/plain as UTF-8, up
  // to 1 MiB); http-proxy only replaces the JSON and catch-all ones. With none
  // left, its catch-all hands every body over as the raw stream.
  app.removeAllContentTypeParsers()

  // a small body is read whole before anything is sent (and kept for a 401 replay)
  app.addHook('preHandler', readBodyStage({
    maxBodyBytes: config.MAX_BODY_BYTES,
    clientBodyMs: config.CLIENT_BODY_TIMEOUT_MS,
    answer: (reply, err) => { answerError(reply, reply.request.record, err) }
  }))

  // stage 3, auth: after the body is read
  app.addHook('preHandler', authStage({
    routes: options.routes,
    tokens: options.tokens,
    basic: () => store.authorization,
    apiKey: () => store.credentials.apiKey,
    answer: (reply, err) => { answerError(reply, reply.request.record, err) }
  }))

  await registerForward(app, {
    origin: upstreamOrigin(config),
    servername: upstreamServername(config),
    maxBodyBytes: config.MAX_BODY_BYTES,
    limits: {
      queueMs: config.UPSTREAM_QUEUE_TIMEOUT_MS,
      clientBodyMs: config.CLIENT_BODY_TIMEOUT_MS,
      headersMs: config.UPSTREAM_TIMEOUT_MS,
      connections: config.UPSTREAM_CONNECTIONS
    },
    dispatcher: options.tokens === undefined ? pool.dispatcher : new ReplayOn401Dispatcher(pool.dispatcher, options.tokens),
    fates: pool.fates,
    draining: () => lifecycle.draining,
    logger
  })
  return app
}

function ignore (): void {}

function headerValue (value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined
}
