import type { FastifyReply, FastifyRequest } from 'fastify'
import { SidecarRequestError } from '../errors.js'
import type { Exchange } from './exchange.js'

/**
 * Bodies up to this size are read whole before an upstream connection is
 * taken (nginx's default, proxy_request_buffering), and kept so that a 401
 * on an OAuth2 route can be replayed once with a new token.
 */
export const SMALL_BODY_BYTES = 64 * 1024

export interface ReadBodyOptions {
  readonly maxBodyBytes: number
  /** CLIENT_BODY_TIMEOUT_MS: the body may send nothing for this long. */
  readonly clientBodyMs: number
  readonly answer: (reply: FastifyReply, err: SidecarRequestError) => void
}

/**
 * Stage 1's second half, read small bodies: a body declared (or found, when
 * chunked) to be at most 64 KiB is read completely from the application
 * before the request goes on, so an application that trickles a small upload
 * holds no upstream connection (UPSTREAM_CONNECTIONS is small) and the bytes
 * that reach Trulioo are all known before anything is sent. A larger body
 * streams as before: what was read goes back to the front of the stream.
 */
export function readBodyStage (options: ReadBodyOptions): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  const small = Math.min(SMALL_BODY_BYTES, options.maxBodyBytes)
  return (request, reply, done) => {
    const req = request.raw
    const length = req.headers['content-length']
    const chunked = req.headers['transfer-encoding'] !== undefined
    // a request carries a body only with one of these two (RFC 9112 §6.3)
    if (!chunked && (length === undefined || length === '0')) {
      done()
      return
    }
    if (!chunked && length !== undefined && Number(length) > small) {
      done() // streams: declared larger than what is kept
      return
    }
    readSmall(request.exchange, reply, small, options, done)
  }
}

function readSmall (exchange: Exchange, reply: FastifyReply, small: number, options: ReadBodyOptions, done: () => void): void {
  const req = exchange.req
  const chunks: Buffer[] = []
  let size = 0
  const timer = setTimeout(() => {
    stop(new SidecarRequestError('CLIENT_TIMEOUT', `the request body sent nothing for CLIENT_BODY_TIMEOUT_MS (${options.clientBodyMs} ms); nothing was sent upstream`))
  }, options.clientBodyMs)
  function cleanUp (): void {
    clearTimeout(timer)
    exchange.onStop(undefined)
    req.off('data', onData)
    req.off('end', onEnd)
    req.off('close', onClose)
  }
  function stop (err: SidecarRequestError): void {
    cleanUp()
    options.answer(reply, err)
  }
  function onData (chunk: Buffer): void {
    size += chunk.length
    chunks.push(chunk)
    if (size > options.maxBodyBytes) {
      stop(new SidecarRequestError('BODY_TOO_LARGE', `the request body is larger than MAX_BODY_BYTES (${options.maxBodyBytes}); nothing was sent upstream`))
      return
    }
    if (size > small) {
      // a chunked body larger than what is kept: it streams, from its first byte
      cleanUp()
      req.pause()
      req.unshift(chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size))
      done()
      return
    }
    timer.refresh()
  }
  function onEnd (): void {
    cleanUp()
    exchange.body = chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size)
    exchange.bodyTaken()
    done()
  }
  // the application went away before its body was read: nothing to answer, nothing sent
  function onClose (): void {
    cleanUp()
  }
  exchange.onStop(stop)
  req.on('data', onData)
  req.once('end', onEnd)
  req.once('close', onClose)
}
