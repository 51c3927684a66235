import httpProxy from '@fastify/http-proxy'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { Dispatcher } from 'undici'
import type { UpstreamAuth } from '../auth/auth-stage.js'
import { tagUpstreamAuth } from '../auth/replay-on-401.js'
import { SidecarRequestError } from '../errors.js'
import { classifyUpstreamError } from '../upstream/classify-error.js'
import type { SocketFates } from '../upstream/tls-connector.js'
import type { AccessRecord } from './access-record.js'
import { ALLOWED_METHODS } from './admit.js'
import { answerError } from './answer-errors.js'
import { downstreamResponseHeaders, upstreamRequestHeaders } from './header-policy.js'

/** The record rides to the dispatcher on the headers object; undici reads only string keys. */
const kRecord = Symbol('sidecar.accessRecord')
type RecordedHeaders = Record<string, string | string[]> & { [kRecord]?: AccessRecord }

export interface ForwardOptions {
  /** The upstream origin, e.g. https://mtls.primary.prod.trulioo.com */
  readonly origin: URL
  readonly servername: string | undefined
  readonly maxBodyBytes: number
  /** The pool's dispatcher, which follows identity reloads. */
  readonly dispatcher: Dispatcher
  readonly fates: SocketFates
  /** Stage 3's decision for a request: what it carries upstream (src/auth/auth-stage.ts). */
  readonly auth: (request: FastifyRequest) => UpstreamAuth | undefined
  readonly draining: () => boolean
  readonly logger: Logger
}

/**
 * Stage 4, forward: the one @fastify/http-proxy route, every path to the one
 * upstream, through a dispatcher that meters each exchange as undici runs it
 * (bytes each way, time to the upstream's headers, the streamed body limit),
 * so no extra stream sits in the body path just to count bytes.
 */
export async function registerForward (app: FastifyInstance, options: ForwardOptions): Promise<void> {
  const { origin, servername, logger } = options
  const dispatcher = new MeteringDispatcher(options.dispatcher, options.maxBodyBytes, (record, error) => {
    // the upstream's body failed after its headers went out, e.g. UND_ERR_BODY_TIMEOUT
    const failure = classifyUpstreamError(error, options.fates, servername)
    if (failure.code === 'INTERNAL_ERROR' || record.errorCode !== undefined) return // not the upstream's doing (e.g. the app went away)
    record.errorCode = failure.code
    logger.warn({ requestId: record.requestId, errorCode: failure.code, cause: causeCode(error) }, `the response was cut short: ${failure.message}`)
  })

  // the plugin's published types fight fastify's generics; the options are checked at runtime
  await app.register(httpProxy as unknown as FastifyPluginAsync<Record<string, unknown>>, {
    upstream: origin.origin,
    // reply-from logs every upstream failure again, with a stack, at 'warn';
    // the sidecar's own line (onError below) says it once and says which failure
    logLevel: 'error',
    undici: dispatcher as never,
    httpMethods: [...ALLOWED_METHODS],
    disableRequestLogging: true,
    // keep the query string exactly as the application sent it
    handler: (request: FastifyRequest, reply: FastifyReply, _dest: string, replyOptions: unknown) =>
      reply.from(request.url, replyOptions as Parameters<FastifyReply['from']>[1]),
    replyOptions: {
      // A Trulioo verification is billable and not idempotent: no retries at all.
      // (`maxRetriesOn503: 0` would read as 10: reply-from uses `||`.)
      retriesCount: 0,
      retryDelay: () => null,
      rewriteRequestHeaders: (request: FastifyRequest) => {
        const auth = options.auth(request)
        const headers: RecordedHeaders = upstreamRequestHeaders(request.headers, {
          host: origin.host,
          requestId: request.id,
          authorization: auth?.authorization,
          apiKey: auth?.apiKey,
          passThrough: auth?.passThrough ?? false
        })
        headers[kRecord] = request.record
        tagUpstreamAuth(headers, auth)
        return headers
      },
      rewriteHeaders: (headers: Record<string, unknown>, request: FastifyRequest | undefined) =>
        downstreamResponseHeaders(headers, request?.id ?? '', options.draining()),
      onError: (reply: FastifyReply, { error }: { error: Error }) => {
        const record = reply.request.record
        if (reply.raw.destroyed && !reply.raw.headersSent) {
          // the application went away mid-request and undici's abort is the echo of
          // that: the upstream is not to blame, and there is no one left to answer
          logger.info({ requestId: record.requestId, cause: causeCode(error) }, 'the application closed the connection before the answer; the upstream request was abandoned')
          return
        }
        const err = classifyUpstreamError(error, options.fates, servername)
        if (err.code !== 'BODY_TOO_LARGE') logger.warn({ requestId: record.requestId, errorCode: err.code, cause: causeCode(error) }, err.message)
        answerError(reply, record, err)
      }
    }
  })
}

type BodyFailure = (record: AccessRecord, error: Error) => void

/** Hands each request to the pool, wrapped so that its record sees the exchange. */
class MeteringDispatcher extends Dispatcher {
  readonly #pool: Dispatcher
  readonly #maxBodyBytes: number
  readonly #onBodyFailure: BodyFailure

  constructor (pool: Dispatcher, maxBodyBytes: number, onBodyFailure: BodyFailure) {
    super()
    this.#pool = pool
    this.#maxBodyBytes = maxBodyBytes
    this.#onBodyFailure = onBodyFailure
  }

  override dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const record = (options.headers as RecordedHeaders | undefined)?.[kRecord]
    if (record === undefined) return this.#pool.dispatch(options, handler)
    return this.#pool.dispatch(options, new MeteredHandler(handler as LegacyHandler, record, this.#maxBodyBytes, this.#onBodyFailure) as unknown as Dispatcher.DispatchHandler)
  }

  override close (): Promise<void>
  override close (callback: () => void): void
  override close (callback?: () => void): Promise<void> | void {
    const done = this.#pool.close()
    if (callback === undefined) return done
    done.then(() => callback(), () => callback())
  }

  override destroy (): Promise<void>
  override destroy (err: Error | null): Promise<void>
  override destroy (callback: () => void): void
  override destroy (err: Error | null, callback: () => void): void
  override destroy (errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const err = typeof errOrCallback === 'function' ? null : errOrCallback ?? null
    const cb = typeof errOrCallback === 'function' ? errOrCallback : callback
    const done = this.#pool.destroy(err)
    if (cb === undefined) return done
    done.then(() => cb(), () => cb())
  }
}

/** undici's handler interface as its `request()` API uses it. */
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

/**
 * Counts the bytes each way as undici writes and reads them, times the
 * upstream's answer, and aborts a streamed request body once it passes
 * MAX_BODY_BYTES (a declared Content-Length over it never gets this far).
 */
class MeteredHandler implements LegacyHandler {
  readonly #inner: LegacyHandler
  readonly #record: AccessRecord
  readonly #maxBodyBytes: number
  readonly #onBodyFailure: BodyFailure
  readonly #sentAt = performance.now()
  #abort: ((err?: Error) => void) | undefined
  #answered = false

  constructor (inner: LegacyHandler, record: AccessRecord, maxBodyBytes: number, onBodyFailure: BodyFailure) {
    this.#inner = inner
    this.#record = record
    this.#maxBodyBytes = maxBodyBytes
    this.#onBodyFailure = onBodyFailure
  }

  onConnect (abort: (err?: Error) => void, context?: unknown): void {
    this.#abort = abort
    this.#inner.onConnect?.(abort, context)
  }

  onBodySent (chunk: Buffer): void {
    const record = this.#record
    // undici 7 passes the chunk written (its type declarations still say a size)
    record.bytesIn += typeof chunk === 'number' ? chunk : chunk.length
    if (record.bytesIn > this.#maxBodyBytes) {
      this.#abort?.(new SidecarRequestError('BODY_TOO_LARGE', `the request body is larger than MAX_BODY_BYTES (${this.#maxBodyBytes})`))
      return
    }
    this.#inner.onBodySent?.(chunk)
  }

  onRequestSent (): void { this.#inner.onRequestSent?.() }
  onResponseStarted (): void { this.#inner.onResponseStarted?.() }

  onHeaders (statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    // 1xx answers come here too; the time that counts is to the final one
    if (statusCode >= 200) {
      this.#answered = true
      this.#record.upstreamMs = performance.now() - this.#sentAt
    }
    return this.#inner.onHeaders?.(statusCode, headers, resume, statusText) ?? true
  }

  onData (chunk: Buffer): boolean {
    this.#record.bytesOut += chunk.length
    return this.#inner.onData?.(chunk) ?? true
  }

  onComplete (trailers: Buffer[] | null): void { this.#inner.onComplete?.(trailers) }

  onError (err: Error): void {
    if (this.#answered) this.#onBodyFailure(this.#record, err)
    this.#inner.onError?.(err)
  }

  onUpgrade (statusCode: number, headers: Buffer[] | string[] | null, socket: unknown): void {
    this.#inner.onUpgrade?.(statusCode, headers, socket)
  }
}

export function causeCode (err: unknown): string | undefined {
  let current = err as { code?: unknown, cause?: unknown } | undefined
  let code: string | undefined
  for (let i = 0; i < 5 && current !== undefined && current !== null; i++) {
    if (typeof current.code === 'string') code = current.code
    current = current.cause as typeof current
  }
  return code
}
