import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { SidecarRequestError } from '../errors.js'
import type { Lifecycle } from '../lifecycle.js'
import { type AccessLog, AccessRecord } from './access-record.js'
import { answerError, answerOnSocket } from './answer-errors.js'
import { type ConnectionRegistry, connectionOf } from './connection-state.js'
import { Exchange } from './exchange.js'
import { requestIdOf } from './header-policy.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's access record (stage 6), filled by every stage. */
    record: AccessRecord
    /** What the stages and the upstream dispatchers share about this request. */
    exchange: Exchange
  }
}

/**
 * The life of each request, from its arrival to its one access line: its
 * record and exchange, its place on its connection (RFC 9112 §9.6: nothing
 * after an answer that closes the connection is processed), the in-flight
 * count, and the one write of the record however the exchange ends
 * (answered, refused, cut short or abandoned).
 */
export class RequestLifecycle {
  readonly #accessLog: AccessLog
  readonly #connections: ConnectionRegistry
  readonly #lifecycle: Lifecycle
  readonly #logger: Logger

  constructor (accessLog: AccessLog, connections: ConnectionRegistry, lifecycle: Lifecycle, logger: Logger) {
    this.#accessLog = accessLog
    this.#connections = connections
    this.#lifecycle = lifecycle
    this.#logger = logger
  }

  /**
   * Starts the request's record and exchange. Returns undefined for a request
   * that must not be processed at all, because an earlier answer on its
   * connection closes it: never forwarded, never answered, its line written
   * now (status 0, incomplete).
   */
  begin (request: FastifyRequest, reply: FastifyReply): AccessRecord | undefined {
    const raw = request.raw
    const record = new AccessRecord(request.id, raw.method ?? '', request.url, headerValue(raw.headers.traceparent))
    request.record = record
    const socket = raw.socket
    const connection = connectionOf(socket)
    const exchange = new Exchange(record, raw, connection, ++connection.seen, (err) => { if (!reply.sent) answerError(reply, record, err) })
    request.exchange = exchange
    if (!connection.processes(exchange.seq)) {
      record.incomplete = true
      this.#accessLog.write(record)
      return undefined
    }
    // the application's own `Connection: close`, or HTTP/1.0 without keep-alive
    if (!reply.raw.shouldKeepAlive) connection.closeAfter(exchange.seq)
    connection.open++
    connection.current = exchange
    this.#lifecycle.requestStarted()
    reply.raw.once('close', () => {
      exchange.clientGone = !reply.raw.writableFinished
      if (exchange.clientGone && exchange.upstreamHeld) {
        this.#logger.info({ requestId: record.requestId }, 'the application closed the connection before the answer; the call was sent whole, so its answer is read to its end for the record')
      }
      // A billable call sent whole is seen through when the application leaves:
      // it stays in flight (shutdown waits for it) and its line waits for its outcome.
      exchange.whenUpstreamDone(() => {
        this.#lifecycle.requestEnded()
        record.settle(reply.raw)
        this.#accessLog.write(record)
      })
      if (connection.current === exchange) connection.current = undefined
      connection.bodyDone(exchange)
      connection.release()
      this.#connections.released(socket, connection)
    })
    reply.header('x-request-id', request.id)
    return record
  }

  /** For the requests answered on the socket, before Fastify (CONNECT, unparsable bytes): their record, written at once. */
  answerRaw (req: IncomingMessage | undefined, socket: Socket, err: SidecarRequestError): void {
    const record = new AccessRecord(req === undefined ? randomUUID() : requestIdOf(req), req?.method ?? '', req?.url ?? '', undefined)
    answerOnSocket(socket, record, err)
    this.#accessLog.write(record)
  }
}

function headerValue (value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined
}
