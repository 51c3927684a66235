import type { ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { RequestErrorCode } from '../errors.js'

/**
 * The one record of one request: each stage fills in what it knows, and the
 * record is written out once, as the access line and the metrics, when the
 * exchange ends however it ends (answered, refused, cut short, abandoned).
 *
 * A class with every field set in the constructor, so every record has one
 * shape and the access line is one fixed object.
 */
export class AccessRecord {
  readonly requestId: string
  readonly method: string
  /** The target as received; made loggable only when written. */
  readonly target: string
  /** The application's W3C traceparent, when it sent one. */
  readonly traceparent: string | undefined
  readonly startedAt: number
  status = 0
  bytesIn = 0
  bytesOut = 0
  errorCode: RequestErrorCode | undefined = undefined
  /** From handing the request to the upstream pool to the upstream's response headers. */
  upstreamMs: number | undefined = undefined
  incomplete = false
  /** The application left after its POST or PATCH was sent whole; the answer was read for this record alone. */
  answerLost = false
  /** The upstream's final status, when an answer came (the line shows it for a lost answer). */
  upstreamStatus: number | undefined = undefined
  /** The journal's short name of the request's Idempotency-Key (src/journal/), when it carried one. */
  idempotencyKeyHash: string | undefined = undefined
  /** Answered from the journal: a kept answer, not sent upstream. */
  replayed = false
  /** A billable call (BILLABLE_ROUTES, src/journal/billable-routes.ts): its answer is read for the transaction ids. */
  billable = false
  /** Sent whole upstream, then no whole answer (timed out, reset, cut short): it may have run. */
  outcomeUnknown = false
  /** Trulioo's ids for a billable call, read from its answer as it passed (src/journal/transaction-ids.ts). */
  transactionId: string | undefined = undefined
  transactionRecordId: string | undefined = undefined
  written = false

  // Durations (this, upstreamMs, the deadlines) stay on performance.now(), not
  // the injected Clock: they measure one request's elapsed time, a monotonic
  // interval, not a fact about the process that a test moves or /status shows.
  constructor (requestId: string, method: string, target: string, traceparent: string | undefined, startedAt = performance.now()) {
    this.requestId = requestId
    this.method = method
    this.target = target
    this.traceparent = traceparent
    this.startedAt = startedAt
  }

  /** What the response tells once it is over. */
  settle (res: ServerResponse): void {
    // no status line ever went out when the application left before the answer
    this.status = res.headersSent ? res.statusCode : 0
    this.incomplete = !res.writableFinished
  }
}

/** Where finished records go besides the log: the metrics, and the billable calls to reconcile (/transactions). */
export interface RecordObserver {
  observe (record: AccessRecord, durationMs: number): void
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)

/** The trace and span ids of a valid W3C traceparent (version 00 or later), or undefined. */
export function traceContext (traceparent: string | undefined): { traceId: string, spanId: string } | undefined {
  if (traceparent === undefined || traceparent.length > 256) return undefined
  const match = TRACEPARENT.exec(traceparent)
  if (match === null || traceparent.startsWith('ff')) return undefined
  const traceId = match[1] as string
  const spanId = match[2] as string
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined
  return { traceId, spanId }
}

/**
 * The target as it may be logged: the path without its query string, and
 * never a `user:password@` (`//user:pw@host/`, `/\user:pw@host/` and
 * absolute URLs alike).
 */
export function loggableTarget (url: string): string {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  if (path.startsWith('/') && !path.includes('@')) return path.length > 1024 ? path.slice(0, 1024) : path
  // the authority part, if any, is the first segment after the scheme and slashes
  return path.replace(/^((?:[a-z][a-z\d+.-]*:(?=[/\\]))?[/\\]*)[^@/\\]*@/i, '$1[userinfo]@').slice(0, 256)
}

/** The access line's fields, in a fixed order; pino leaves out the undefined ones. */
interface AccessLine {
  requestId: string
  method: string
  path: string
  status: number
  durationMs: number
  bytesIn: number
  bytesOut: number
  errorCode: string | undefined
  incomplete: true | undefined
  answerLost: true | undefined
  upstreamStatus: number | undefined
  idempotencyKeyHash: string | undefined
  replayed: true | undefined
  transactionId: string | undefined
  transactionRecordId: string | undefined
  traceId: string | undefined
  spanId: string | undefined
}

/**
 * Writes each record once. The access line has a fixed shape and holds no
 * secret by construction (no header, no query string, no body beyond a
 * billable answer's two transaction ids, taken only as plain ids), so it goes
 * through a logger without redaction: the redaction pass was a sixth of the
 * sidecar's CPU per request, for fields that cannot hold a secret.
 */
export class AccessLog {
  readonly #logger: Logger
  readonly #observer: RecordObserver | undefined
  readonly #billable: RecordObserver | undefined

  constructor (logger: Logger, observer?: RecordObserver, billable?: RecordObserver) {
    this.#logger = logger
    this.#observer = observer
    this.#billable = billable
  }

  write (record: AccessRecord): void {
    if (record.written) return
    record.written = true
    const durationMs = Math.round((performance.now() - record.startedAt) * 100) / 100
    if (this.#logger.isLevelEnabled('info')) {
      const trace = traceContext(record.traceparent)
      const line: AccessLine = {
        requestId: record.requestId,
        method: record.method,
        path: loggableTarget(record.target),
        status: record.status,
        durationMs,
        bytesIn: record.bytesIn,
        bytesOut: record.bytesOut,
        errorCode: record.errorCode,
        incomplete: record.incomplete ? true : undefined,
        answerLost: record.answerLost ? true : undefined,
        upstreamStatus: record.answerLost ? record.upstreamStatus : undefined,
        idempotencyKeyHash: record.idempotencyKeyHash,
        replayed: record.replayed ? true : undefined,
        transactionId: record.transactionId,
        transactionRecordId: record.transactionRecordId,
        traceId: trace?.traceId,
        spanId: trace?.spanId
      }
      this.#logger.info(line, 'request')
    }
    this.#observer?.observe(record, durationMs)
    if (record.billable) this.#billable?.observe(record, durationMs)
  }
}
