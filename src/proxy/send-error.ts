import { STATUS_CODES, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyReply } from 'fastify'
import { type SidecarRequestError, REQUEST_ERRORS, type RequestErrorCode } from '../errors.js'
import { ALLOWED_METHODS } from './request-guard.js'

export const SIDECAR_ERROR_HEADER = 'x-sidecar-error'

export function errorBody (code: RequestErrorCode, message: string, requestId: string): string {
  return JSON.stringify({ error: { code, message, requestId } })
}

function extraHeaders (code: RequestErrorCode): Record<string, string> {
  if (code === 'METHOD_NOT_ALLOWED') return { allow: ALLOWED_METHODS.join(', ') }
  if (code === 'PROXY_AUTH_REQUIRED') return { 'proxy-authenticate': 'Bearer realm="trulioo-mtls-sidecar"' }
  if (code === 'SHUTTING_DOWN' || code === 'NOT_READY') return { 'retry-after': '1' }
  return {}
}

/** Answers with the sidecar's own error: JSON body plus `x-sidecar-error`. */
export function sendSidecarError (reply: FastifyReply, err: SidecarRequestError): void {
  if (reply.sent || reply.raw.headersSent) {
    // the upstream's answer has begun: the only honest signal left is to cut the stream
    reply.raw.destroy(err)
    return
  }
  reply.removeHeader('content-length')
  reply
    .code(err.statusCode)
    .headers({ ...extraHeaders(err.code), [SIDECAR_ERROR_HEADER]: err.code, 'content-type': 'application/json; charset=utf-8' })
  // An unread request body must not be mistaken for the next request.
  if (err.code === 'BODY_TOO_LARGE' || !reply.request.raw.complete) reply.header('connection', 'close')
  reply.send(errorBody(err.code, err.message, reply.request.id))
}

/** For the few answers given before Fastify sees the request (CONNECT). Returns the body's length. */
export function writeRawError (socket: Socket | ServerResponse, code: RequestErrorCode, message: string, requestId: string): number {
  const status = REQUEST_ERRORS[code].status
  const body = errorBody(code, message, requestId)
  const headers: Record<string, string> = {
    ...extraHeaders(code),
    [SIDECAR_ERROR_HEADER]: code,
    'x-request-id': requestId,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close'
  }
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  const reason = STATUS_CODES[status] ?? 'Error'
  ;(socket as Socket).end(`HTTP/1.1 ${status} ${reason}\r\n${head}\r\n${body}`)
  return Buffer.byteLength(body)
}
