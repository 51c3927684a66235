import { randomUUID } from 'node:crypto'
import http, { type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { pipeline, Readable } from 'node:stream'
import httpProxy from '@fastify/http-proxy'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { upstreamOrigin, upstreamServername } from '../config/load-config.js'
import { SidecarRequestError } from '../errors.js'
import type { IdentityStore } from '../identity/identity-store.js'
import type { SidecarState } from '../state.js'
import { classifyUpstreamError } from '../upstream/classify-error.js'
import { ByteMeter } from './byte-meter.js'
import { downstreamResponseHeaders, upstreamRequestHeaders } from './header-policy.js'
import { ALLOWED_METHODS, guardRequest, guardSettings } from './request-guard.js'
import { sendSidecarError, writeRawError } from './send-error.js'

export interface ProxyAppOptions {
  store: IdentityStore
  state: SidecarState
  logger: Logger
  /** Called once per finished request, for metrics. */
  onRequestDone?: (done: RequestDone) => void
}

export interface RequestDone {
  readonly method: string
  readonly status: number
  readonly durationMs: number
  /** From sending upstream to the upstream's response headers; undefined when no upstream answer. */
  readonly upstreamMs: number | undefined
  readonly errorCode: string | undefined
}

const REQUEST_ID = /^[\w.:@-]{1,128}$/

const kMeter = Symbol('sidecar.requestMeter')
const kOut = Symbol('sidecar.responseMeter')
const kUpstreamStart = Symbol('sidecar.upstreamStart')
const kUpstreamMs = Symbol('sidecar.upstreamMs')
const kError = Symbol('sidecar.errorCode')
const kLogged = Symbol('sidecar.logged')
interface Marks {
  [kMeter]?: ByteMeter
  [kOut]?: ByteMeter | number
  [kUpstreamStart]?: number
  [kUpstreamMs]?: number
  [kError]?: string
  [kLogged]?: boolean
}
const marks = (request: FastifyRequest): Marks => request.raw as unknown as Marks

/**
 * The target as it may be logged: the path without its query string, or for
 * the odd target that is not a path, the same with any `user:password@` cut.
 */
export function loggableTarget (url: string): string {
  const path = url.split('?', 1)[0] ?? ''
  if (path.startsWith('/')) return path.slice(0, 1024)
  return path.replace(/^([a-z][a-z\d+.-]*:\/\/)?[^@/]*@/i, '$1[userinfo]@').slice(0, 256)
}

/** The request id: the application's own when it is sane, else a fresh UUID. */
export function requestIdOf (req: IncomingMessage): string {
  const given = req.headers['x-request-id']
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
}

/**
 * Absolute-form targets (`GET http://elsewhere/x`) are reduced to their path:
 * the authority never chooses where a request goes. Other forms (`*`) are
 * left for the guard to refuse.
 */
export function originForm (url: string): string {
  if (url.startsWith('/')) return url
  if (/^https?:\/\//i.test(url)) {
    try {
      const parsed = new URL(url)
      return parsed.pathname + parsed.search
    } catch {
      return url
    }
  }
  return url
}

/**
 * The proxy listener: plain HTTP in from the application, mutual TLS out to
 * the one configured upstream. Built without a process, so tests drive it.
 */
export async function buildProxyApp (options: ProxyAppOptions): Promise<FastifyInstance> {
  const { store, state, logger } = options
  const config = store.config
  const origin = upstreamOrigin(config)
  const servername = upstreamServername(config)
  const guard = guardSettings(config.MAX_BODY_BYTES, config.PROXY_AUTH_TOKEN)

  const app = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    // one access line per request (onResponse below) instead of Fastify's two
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: requestIdOf,
    rewriteUrl: (req) => originForm(req.url ?? '/'),
    return503OnClosing: false,
    // A target the router cannot parse (`GET ftp://x/y`, a path too long) is answered
    // before any hook runs; without this it got Fastify's own JSON, no x-sidecar-error,
    // no request id and no access line.
    frameworkErrors: (error, request, reply) => {
      const err = new SidecarRequestError('BAD_REQUEST_TARGET', `the request target cannot be forwarded (${error.code})`)
      reply.header('x-request-id', request.id)
      marks(request)[kError] = err.code
      // no onResponse hook runs for these: log the access line here
      reply.raw.once('finish', () => { logAccess(request, reply) })
      sendSidecarError(reply, err)
    },
    // A request Node's parser refuses never reaches a route: answer it in the
    // sidecar's own format, with an access line, like every other.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket: Socket) => {
      if (err.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy()
        return
      }
      const requestId = randomUUID()
      const bytesOut = writeRawError(socket, 'BAD_REQUEST', `the request could not be parsed (${err.code ?? 'parse error'})`, requestId)
      logRawAnswer({ requestId, method: '', path: '', status: 400, durationMs: 0, bytesOut, errorCode: 'BAD_REQUEST' })
    },
    serverFactory: (handler) => {
      const server = http.createServer(handler)
      // curl sends `Expect: 100-continue` for bodies over 1 MiB. Say "continue"
      // only when the request would be accepted, so a refused upload is never sent.
      server.on('checkContinue', (req, res) => {
        if (guardRequest(req, guard) === undefined && !state.draining) res.writeContinue()
        handler(req, res)
      })
      // Node closes CONNECT requests silently unless someone answers them.
      server.on('connect', (req: IncomingMessage, socket: Socket) => {
        const started = performance.now()
        const requestId = requestIdOf(req)
        const bytesOut = writeRawError(socket, 'METHOD_NOT_ALLOWED', 'CONNECT is not allowed: the sidecar is not an open proxy', requestId)
        // the target is authority-form (host:port)
        logRawAnswer({
          requestId,
          method: 'CONNECT',
          path: loggableTarget(req.url ?? ''),
          status: 405,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          bytesOut,
          errorCode: 'METHOD_NOT_ALLOWED'
        })
      })
      return server
    }
  })

  /** The access line (and metrics) of an answer written straight to the socket, before Fastify. */
  function logRawAnswer (line: { requestId: string, method: string, path: string, status: number, durationMs: number, bytesOut: number, errorCode: string }): void {
    logger.info({ ...line, bytesIn: 0 }, 'request')
    options.onRequestDone?.({ method: line.method, status: line.status, durationMs: line.durationMs, upstreamMs: undefined, errorCode: line.errorCode })
  }

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
    state.inFlight++
    // 'close' fires however the exchange ends, aborted ones included
    reply.raw.once('close', () => {
      state.inFlight--
      // A response cut short (the upstream's body failed or timed out after its
      // headers went out, or the app went away) never 'finish'es, so Fastify
      // runs no onResponse hook: log its access line here.
      if (!reply.raw.writableFinished) logAccess(request, reply)
    })
    const refused = admissionError(request)
    if (refused !== undefined) {
      marks(request)[kError] = refused.code
      sendSidecarError(reply, refused)
      return reply
    }
  })

  function admissionError (request: FastifyRequest): SidecarRequestError | undefined {
    const guarded = guardRequest(request.raw, guard)
    if (guarded !== undefined) return guarded
    if (!request.url.startsWith('/')) {
      return new SidecarRequestError('BAD_REQUEST_TARGET', 'the request target must be a path such as /verifications/v1/verify')
    }
    if (state.draining) return new SidecarRequestError('SHUTTING_DOWN', 'the sidecar is shutting down; retry on another instance')
    if (Date.now() > store.identity.info.notAfter.getTime()) {
      return new SidecarRequestError('NOT_READY', 'the client certificate has expired; install a new one (the sidecar reloads it)')
    }
    return undefined
  }

  app.addHook('onSend', async (request, reply, payload) => {
    // While draining, every answer closes its connection: a keep-alive client
    // must not hold the listener open until the grace period runs out.
    if (state.draining) reply.header('connection', 'close')
    if (payload instanceof Readable) {
      const meter = new ByteMeter()
      marks(request)[kOut] = meter
      pipeline(payload, meter, (err) => {
        if (err === undefined || err === null || marks(request)[kError] !== undefined) return
        // the upstream's body failed after its headers went out, e.g. UND_ERR_BODY_TIMEOUT
        const failure = classifyUpstreamError(err, store.fates, servername)
        if (failure.code === 'INTERNAL_ERROR') return // not the upstream's doing (e.g. the app went away)
        marks(request)[kError] = failure.code
        logger.warn({ requestId: request.id, errorCode: failure.code, cause: causeCode(err) }, `the response was cut short: ${failure.message}`)
      })
      return meter
    }
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) marks(request)[kOut] = Buffer.byteLength(payload)
    return payload
  })

  app.addHook('onResponse', async (request, reply) => { logAccess(request, reply) })

  /** The one access line of a request (and its metrics). */
  function logAccess (request: FastifyRequest, reply: FastifyReply): void {
    const m = marks(request)
    if (m[kLogged] === true) return
    m[kLogged] = true
    const out = m[kOut]
    const durationMs = Math.round(reply.elapsedTime * 100) / 100
    const path = loggableTarget(request.url)
    // no status line ever went out when the application left before the answer
    const status = reply.raw.headersSent || reply.raw.writableFinished ? reply.statusCode : 0
    // the root logger: the proxy route's own logger is held at 'error' (see register below)
    logger.info({
      requestId: request.id,
      method: request.method,
      path,
      status,
      durationMs,
      bytesIn: m[kMeter]?.bytes ?? 0,
      bytesOut: typeof out === 'number' ? out : out?.bytes ?? 0,
      ...(m[kError] === undefined ? {} : { errorCode: m[kError] }),
      ...(reply.raw.writableFinished ? {} : { incomplete: true })
    }, 'request')
    options.onRequestDone?.({ method: request.method, status, durationMs, upstreamMs: m[kUpstreamMs], errorCode: m[kError] })
  }

  app.setNotFoundHandler((request, reply) => {
    // Only reached for targets the proxy route cannot match (e.g. `*`), as every path is proxied.
    sendSidecarError(reply, new SidecarRequestError('BAD_REQUEST_TARGET', `the request target ${request.url.slice(0, 64)} cannot be forwarded`))
  })

  app.setErrorHandler((error: Error & { statusCode?: number, code?: string }, request, reply) => {
    let err: SidecarRequestError
    if (error instanceof SidecarRequestError) err = error
    else if (error instanceof URIError || error.message === 'source/request contain invalid characters') {
      err = new SidecarRequestError('BAD_REQUEST_TARGET', 'the request target is not a valid path (bad escape or dot segments)')
    } else if (error.statusCode === 413) {
      err = new SidecarRequestError('BODY_TOO_LARGE', `the request body is larger than MAX_BODY_BYTES (${config.MAX_BODY_BYTES})`)
    } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      err = new SidecarRequestError('BAD_REQUEST', `the request could not be read (${error.code ?? error.statusCode})`)
    } else {
      logger.error({ requestId: request.id, errorCode: error.code, errorName: error.name }, 'unexpected error in the proxy')
      err = new SidecarRequestError('INTERNAL_ERROR', 'unexpected error in the sidecar')
    }
    marks(request)[kError] = err.code
    sendSidecarError(reply, err)
  })

  // Fastify's own parsers would buffer and decode bodies (text/plain as UTF-8, up
  // to 1 MiB); http-proxy only replaces the JSON and catch-all ones. With none
  // left, its catch-all hands every body over as the raw stream.
  app.removeAllContentTypeParsers()

  // the plugin's published types fight fastify's generics; the options are checked at runtime
  await app.register(httpProxy as unknown as FastifyPluginAsync<Record<string, unknown>>, {
    upstream: origin.origin,
    // reply-from logs every upstream failure again, with a stack, at 'warn';
    // the sidecar's own line (onError below) says it once and says which failure
    logLevel: 'error',
    // our Dispatcher: explicit TLS settings, pooled, swapped on reload
    undici: store.dispatcher as never,
    httpMethods: [...ALLOWED_METHODS],
    disableRequestLogging: true,
    preHandler: async (request: FastifyRequest) => {
      const body = request.body
      if (body instanceof Readable) {
        const meter = new ByteMeter(config.MAX_BODY_BYTES)
        marks(request)[kMeter] = meter
        pipeline(body, meter, () => {})
        request.body = meter
      }
      marks(request)[kUpstreamStart] = performance.now()
    },
    // keep the query string exactly as the application sent it
    handler: (request: FastifyRequest, reply: FastifyReply, _dest: string, replyOptions: unknown) =>
      reply.from(request.url, replyOptions as Parameters<FastifyReply['from']>[1]),
    replyOptions: {
      // A Trulioo verification is billable and not idempotent: no retries at all.
      // (`maxRetriesOn503: 0` would read as 10: reply-from uses `||`.)
      retriesCount: 0,
      retryDelay: () => null,
      rewriteRequestHeaders: (request: FastifyRequest) => upstreamRequestHeaders(request.headers, {
        host: origin.host,
        requestId: request.id,
        authorization: store.authorization
      }),
      rewriteHeaders: (headers: Record<string, unknown>, request: FastifyRequest | undefined) => {
        if (request !== undefined) {
          const m = marks(request)
          if (m[kUpstreamStart] !== undefined) m[kUpstreamMs] = performance.now() - m[kUpstreamStart]
        }
        return downstreamResponseHeaders(headers, request?.id ?? '')
      },
      onError: (reply: FastifyReply, { error }: { error: Error }) => {
        if (reply.raw.destroyed && !reply.raw.headersSent) {
          // the application went away mid-request and undici's abort is the echo of
          // that: the upstream is not to blame, and there is no one left to answer
          logger.info({ requestId: reply.request.id, cause: causeCode(error) }, 'the application closed the connection before the answer; the upstream request was abandoned')
          return
        }
        const err = classifyUpstreamError(error, store.fates, servername)
        marks(reply.request)[kError] = err.code
        logger.warn({ requestId: reply.request.id, errorCode: err.code, cause: causeCode(error) }, err.message)
        sendSidecarError(reply, err)
      }
    }
  })

  return app
}

function causeCode (err: unknown): string | undefined {
  let current = err as { code?: unknown, cause?: unknown } | undefined
  let code: string | undefined
  for (let i = 0; i < 5 && current !== undefined && current !== null; i++) {
    if (typeof current.code === 'string') code = current.code
    current = current.cause as typeof current
  }
  return code
}
