import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { SidecarRequestError } from '../errors.js'
import { causeCode, classifyUpstreamError } from '../upstream/classify-error.js'
import type { SocketFates } from '../upstream/tls-connector.js'
import type { AccessRecord } from './access-record.js'
import { answerError, asSidecarError } from './answer-errors.js'

export interface FailureContext {
  readonly fates: SocketFates
  readonly servername: string | undefined
  readonly maxBodyBytes: number
  readonly logger: Logger
}

/** Codes that are the application's own doing: its access line says so, no warning blames the upstream. */
const APPLICATION_FAULTS = new Set(['BODY_TOO_LARGE', 'BAD_REQUEST'])

/**
 * Stage 5, answer: every failure that reaches the proxy app, from Fastify's
 * router to the upstream, comes through here to be classified once, logged
 * once (a warn line with the code and the low-level cause, never a stack) and
 * answered once in the sidecar's format (answer-errors.ts).
 */
export class Failures {
  readonly #context: FailureContext

  constructor (context: FailureContext) {
    this.#context = context
  }

  /** What `error` from an upstream exchange means, logged once for the request. */
  #classify (error: unknown, record: AccessRecord): SidecarRequestError {
    const { fates, servername, logger } = this.#context
    const err = classifyUpstreamError(error, fates, servername)
    if (!APPLICATION_FAULTS.has(err.code)) logger.warn({ requestId: record.requestId, errorCode: err.code, cause: causeCode(error) }, err.message)
    return err
  }

  /** reply-from's onError: the exchange failed before its answer began. */
  readonly upstream = (reply: FastifyReply, { error }: { error: Error }): void => {
    const record = reply.request.record
    if (reply.raw.destroyed && !reply.raw.headersSent) {
      // the application went away mid-request and undici's abort is the echo of
      // that: the upstream is not to blame, and there is no one left to answer
      const seenThrough = record.answerLost || reply.request.exchange.upstreamHeld
      this.#context.logger.info({ requestId: record.requestId, cause: causeCode(error) }, seenThrough
        ? 'the application closed the connection before the answer; the call was sent whole, so its answer is read to its end for the record'
        : 'the application closed the connection before the answer; the upstream request was abandoned')
      return
    }
    answerError(reply, record, this.#classify(error, record))
  }

  /** The upstream's body failed after its headers went out (UND_ERR_BODY_TIMEOUT, a reset): the stream is cut, the record says why. */
  readonly upstreamBody = (record: AccessRecord, error: Error): void => {
    if (record.errorCode !== undefined) return
    const failure = classifyUpstreamError(error, this.#context.fates, this.#context.servername)
    if (failure.code === 'INTERNAL_ERROR') return // not the upstream's doing (e.g. the app went away)
    record.errorCode = failure.code
    this.#context.logger.warn({ requestId: record.requestId, errorCode: failure.code, cause: causeCode(error) }, `the response was cut short: ${failure.message}`)
  }

  /** Fastify's error handler: its own errors, ours, and a malformed upstream body (a bad chunk size). */
  readonly framework = (error: Error & { statusCode?: number, code?: string }, request: FastifyRequest, reply: FastifyReply): void => {
    if (reply.raw.destroyed && !reply.raw.headersSent) {
      // the application has gone (an answer stream cut for want of a reader): nobody to answer
      this.#context.logger.debug({ requestId: request.id, cause: causeCode(error) }, 'the application closed the connection before the answer')
      return
    }
    let err = asSidecarError(error, this.#context.maxBodyBytes)
    if (err.code === 'INTERNAL_ERROR') {
      const upstream = classifyUpstreamError(error, this.#context.fates)
      if (upstream.code === 'UPSTREAM_BAD_RESPONSE') err = upstream
    }
    if (err.code === 'INTERNAL_ERROR') this.#context.logger.error({ requestId: request.id, errorCode: error.code, errorName: error.name }, 'unexpected error in the proxy')
    answerError(reply, request.record, err)
  }

  /** Only reached for targets the proxy route cannot match (e.g. `*`), as every path is proxied. */
  readonly notFound = (request: FastifyRequest, reply: FastifyReply): void => {
    answerError(reply, request.record, new SidecarRequestError('BAD_REQUEST_TARGET', `the request target ${request.url.slice(0, 64)} cannot be forwarded`))
  }
}
