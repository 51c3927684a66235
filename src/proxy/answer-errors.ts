import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyReply } from 'fastify'
import { REQUEST_ERRORS, type RequestErrorCode, SidecarRequestError } from '../errors.js'
import { ALLOWED_METHODS } from './admit.js'
import type { AccessRecord } from './access-record.js'
import { connectionOf, mayHaveUnreadBody } from './connection-state.js'
import type { Exchange } from './exchange.js'

/**
 * Stage 5, answer errors: every failure, from Node's parser, Fastify's router,
 * a guard or the upstream, becomes the sidecar's own answer here — a JSON body
 * `{"error":{code,message,requestId}}` with `x-sidecar-error: <code>` — so an
 * application can always tell a sidecar error from Trulioo's own.
 */

export const SIDECAR_ERROR_HEADER = 'x-sidecar-error'
const ALLOW = ALLOWED_METHODS.join(', ')

export function errorBody (code: RequestErrorCode, message: string, requestId: string): string {
  return JSON.stringify({ error: { code, message, requestId } })
}

function extraHeaders (code: RequestErrorCode): Record<string, string> | undefined {
  if (code === 'METHOD_NOT_ALLOWED') return { allow: ALLOW }
  if (code === 'PROXY_AUTH_REQUIRED') return { 'proxy-authenticate': 'Bearer realm="trulioo-mtls-sidecar"' }
  // IDEMPOTENCY_IN_FLIGHT: the retry itself waits again (IDEMPOTENCY_WAIT_MS), so it may come at once
  if (code === 'SHUTTING_DOWN' || code === 'NOT_READY' || code === 'IDEMPOTENCY_IN_FLIGHT') return { 'retry-after': '1' }
  return undefined
}

/**
 * What a failure Fastify hands over (its own errors, a URI error, ours) means
 * for the application. Upstream failures are classified by the forward stage.
 */
export function asSidecarError (error: Error & { statusCode?: number, code?: string }, maxBodyBytes: number): SidecarRequestError {
  if (error instanceof SidecarRequestError) return error
  if (error instanceof URIError || error.message === 'source/request contain invalid characters') {
    return new SidecarRequestError('BAD_REQUEST_TARGET', 'the request target is not a valid path (bad escape or dot segments)')
  }
  if (error.statusCode === 413) {
    return new SidecarRequestError('BODY_TOO_LARGE', `the request body is larger than MAX_BODY_BYTES (${maxBodyBytes})`)
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new SidecarRequestError('BAD_REQUEST', `the request could not be read (${error.code ?? error.statusCode})`)
  }
  return new SidecarRequestError('INTERNAL_ERROR', 'unexpected error in the sidecar', { cause: error })
}

/** Answers `err` on a request Fastify routed; the record gets its code and size. */
export function answerError (reply: FastifyReply, record: AccessRecord, err: SidecarRequestError): void {
  record.errorCode = err.code
  if (reply.sent || reply.raw.headersSent) {
    // the upstream's answer has begun: the only honest signal left is to cut the stream
    reply.raw.destroy(err)
    return
  }
  const body = errorBody(err.code, err.message, record.requestId)
  record.bytesOut = Buffer.byteLength(body)
  reply.removeHeader('content-length')
  reply.code(err.statusCode)
  const extra = extraHeaders(err.code)
  if (extra !== undefined) reply.headers(extra)
  reply.header(SIDECAR_ERROR_HEADER, err.code)
  reply.header('content-type', 'application/json; charset=utf-8')
  // An unread request body must not be mistaken for the next request: close,
  // and process nothing more on this connection.
  const req = reply.request.raw
  if (err.code === 'BODY_TOO_LARGE' || mayHaveUnreadBody(req)) {
    reply.header('connection', 'close')
    // (the socket is gone when the application has already left)
    // (undici detaches the socket from a request body it aborted: the exchange knows its connection)
    const exchange = reply.request.exchange as Exchange | null
    if (exchange !== null) exchange.connection.closeAfter(exchange.seq)
    else if (req.socket !== null) connectionOf(req.socket).closeAfter(connectionOf(req.socket).seen)
  }
  reply.send(body)
}

/**
 * Answers `err` straight on the socket, for the few requests that never reach
 * Fastify (CONNECT, a request Node's parser refused), and closes it.
 * The record gets its status, code and size.
 */
export function answerOnSocket (socket: Socket, record: AccessRecord, err: SidecarRequestError): void {
  const status = REQUEST_ERRORS[err.code].status
  const body = errorBody(err.code, err.message, record.requestId)
  const headers: Record<string, string> = {
    ...extraHeaders(err.code),
    [SIDECAR_ERROR_HEADER]: err.code,
    'x-request-id': record.requestId,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close'
  }
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`
  for (const name in headers) head += `${name}: ${headers[name]}\r\n`
  socket.end(`${head}\r\n${body}`)
  record.status = status
  record.errorCode = err.code
  record.bytesOut = Buffer.byteLength(body)
}
