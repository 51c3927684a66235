import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import type { Config } from '../config/schema.js'
import { SidecarRequestError } from '../errors.js'
import { downstreamResponseHeaders } from '../proxy/header-policy.js'
import { SMALL_BODY_BYTES } from '../proxy/read-body.js'
import { Attempt, attachAttempt } from './attempt.js'
import { fingerprint, KEYED_METHODS, KeyHasher, parseIdempotencyKey, shortHash } from './idempotency-key.js'
import type { JournalStore } from './journal-store.js'
import { type JournalEntry, MemoryJournalStore } from './memory-store.js'
import type { SharedJournal } from './open-store.js'
import { keyRequired, parseRequiredRoutes, type RequiredRoute } from './required-routes.js'
import { describeIds, type TransactionIds } from './transaction-ids.js'

export const REPLAYED_HEADER = 'idempotent-replayed'

export interface JournalOptions {
  readonly config: Readonly<Config>
  readonly clock: Clock
  readonly logger: Logger
  readonly draining: () => boolean
  readonly answer: (reply: FastifyReply, err: SidecarRequestError) => void
  /** A shared store (Redis, Valkey: open-store.ts); the memory store otherwise. */
  readonly shared?: SharedJournal | undefined
}

type Answer = (reply: FastifyReply, err: SidecarRequestError) => void

/**
 * Stage 4's front, the journal: a POST or PATCH with `Idempotency-Key` runs at
 * most once per key (and caller). Before anything is sent it decides: run
 * (the first, or after a first that never went out), replay the kept answer,
 * wait for a first still running, or refuse (another request under the same
 * key, an outcome nobody knows). A request without a key, or with one on
 * another method, passes as it always did. docs/journal.md has the rules.
 */
export class Journal {
  readonly store: JournalStore
  readonly #options: JournalOptions
  readonly #hasher: KeyHasher
  readonly #required: readonly RequiredRoute[]
  #lastEvictWarning = -Infinity
  #lastStoreWarning = -Infinity

  constructor (options: JournalOptions) {
    this.#options = options
    const { config, clock, logger } = options
    this.#required = parseRequiredRoutes(config.IDEMPOTENCY_REQUIRED_ROUTES)
    // a shared store's key hashes are the same on every sidecar; memory's are made at random per process
    this.#hasher = new KeyHasher(options.shared?.keyHashSecret)
    this.store = options.shared?.store ?? new MemoryJournalStore({
      clock,
      ttlMs: config.IDEMPOTENCY_TTL_S * 1000,
      maxBytes: config.IDEMPOTENCY_MAX_BYTES,
      onEvict: (count) => {
        // at most once a minute: under pressure this would be every request
        const now = clock.now()
        if (now - this.#lastEvictWarning < 60_000) return
        this.#lastEvictWarning = now
        logger.warn({ evicted: count }, `the idempotency journal is full (IDEMPOTENCY_MAX_BYTES ${config.IDEMPOTENCY_MAX_BYTES}): the oldest kept answers were dropped before IDEMPOTENCY_TTL_S; a retry of theirs would run again`)
      }
    })
  }

  /** The preHandler hook: after the body is read whole, before auth (a replay needs no token). */
  readonly stage = (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const method = request.raw.method ?? ''
    if (!KEYED_METHODS.has(method)) {
      done()
      return
    }
    const answer = this.#options.answer
    const header = request.headers['idempotency-key']
    if (header === undefined) {
      if (keyRequired(this.#required, method, request.url)) {
        answer(reply, new SidecarRequestError('IDEMPOTENCY_KEY_REQUIRED', `${method} requests to this path must carry Idempotency-Key (IDEMPOTENCY_REQUIRED_ROUTES); nothing was sent upstream`))
        return
      }
      done()
      return
    }
    const parsed = parseIdempotencyKey(header)
    if ('problem' in parsed) {
      answer(reply, new SidecarRequestError('BAD_REQUEST', `${parsed.problem}; nothing was sent upstream`))
      return
    }
    const exchange = request.exchange
    if (exchange.body === undefined && hasBody(request)) {
      // A body over 64 KiB streams upstream as it arrives: its SHA-256 would be
      // known only once it was sent, too late to tell a retry from another request.
      answer(reply, new SidecarRequestError('BODY_TOO_LARGE', `a request with Idempotency-Key may have a body of at most ${SMALL_BODY_BYTES} bytes (64 KiB), so that a retry can be compared with it before anything is sent; send a larger body without the key; nothing was sent upstream`))
      return
    }
    const keyHash = this.#hasher.hash(scopeOf(request, this.#options.config), parsed.key)
    request.record.idempotencyKeyHash = shortHash(keyHash)
    const print = fingerprint(method, request.url, exchange.body)
    let left = false
    reply.raw.once('close', () => { left = true })
    const deadline = this.#options.clock.now() + this.#options.config.IDEMPOTENCY_WAIT_MS
    const decide = async (): Promise<void> => {
      if (left) return // the application went away while it waited: nothing to run, nothing to answer
      let claimed: { entry: JournalEntry, won: boolean }
      try {
        claimed = await this.store.claim(keyHash, print, request.id)
      } catch (err) {
        this.#storeFailed(reply, err as Error)
        return
      }
      const { entry, won } = claimed
      if (won) {
        const attempt = new Attempt(this.store, keyHash, entry, this.#options.config.IDEMPOTENCY_MAX_ANSWER_BYTES, request.record)
        if (left) {
          // gone while the claim was on its way (a shared store): nothing sent, the key is free again
          attempt.failed()
          return
        }
        attachAttempt(exchange, attempt)
        reply.raw.once('close', () => { attempt.replyClosed() })
        done()
        return
      }
      if (entry.fingerprint !== print) {
        answer(reply, new SidecarRequestError('IDEMPOTENCY_KEY_REUSED', `this Idempotency-Key was first used at ${this.#when(entry)} for a different request (method, path with query, or body); nothing was sent upstream`))
        return
      }
      if (entry.outcome === undefined) {
        const wait = deadline - this.#options.clock.now()
        if (wait <= 0) {
          answer(reply, new SidecarRequestError('IDEMPOTENCY_IN_FLIGHT', `the first request with this Idempotency-Key (request id ${entry.requestId}, started ${this.#when(entry)}) is still running after IDEMPOTENCY_WAIT_MS (${this.#options.config.IDEMPOTENCY_WAIT_MS} ms); retry with the same key later; nothing was sent upstream`))
          return
        }
        this.store.whenSettled(entry, wait).then(run, run)
        return
      }
      this.#answerKept(request, reply, entry)
    }
    // anything unforeseen goes to Fastify's error handler, as it did when this ran in the hook itself
    const run = (): void => { decide().catch((err: unknown) => { reply.send(err) }) }
    run()
  }

  /**
   * The store could not say whether this key ran: the request is refused, not
   * run unprotected (fail closed). Keyless requests never come here.
   */
  #storeFailed (reply: FastifyReply, err: Error): void {
    // each refusal has its access line (errorCode); the reason is said at most once a minute
    const now = this.#options.clock.now()
    if (now - this.#lastStoreWarning >= 60_000) {
      this.#lastStoreWarning = now
      this.#options.logger.warn({ requestId: reply.request.id, err: err.message }, 'requests with Idempotency-Key are refused (503 IDEMPOTENCY_STORE_UNAVAILABLE): the idempotency store did not answer')
    }
    this.#options.answer(reply, new SidecarRequestError('IDEMPOTENCY_STORE_UNAVAILABLE', 'the idempotency store (IDEMPOTENCY_STORE) cannot be reached, so this sidecar cannot tell whether this key already ran; nothing was sent upstream; retry with the same key later', { cause: err }))
  }

  #answerKept (request: FastifyRequest, reply: FastifyReply, entry: JournalEntry): void {
    const outcome = entry.outcome
    const first = `the first request with this Idempotency-Key (request id ${entry.requestId}, started ${this.#when(entry)})`
    if (outcome?.kind === 'unknown') {
      this.#options.answer(reply, new SidecarRequestError('OUTCOME_UNKNOWN', `${first} was sent upstream and its outcome is unknown (it timed out or was cut short)${namedBy(outcome.ids)}: it may have run and been billed; look it up before deciding, and use a new key to run it again; nothing was sent upstream`))
      return
    }
    if (outcome?.kind === 'abandoned') {
      this.#options.answer(reply, new SidecarRequestError('OUTCOME_UNKNOWN', `${first} was still in flight when the sidecar running it stopped (the shared store kept no outcome past the longest an attempt can take): it may have run and been billed; look it up before deciding, and use a new key to run it again; nothing was sent upstream`))
      return
    }
    if (outcome?.kind === 'too-large') {
      this.#options.answer(reply, new SidecarRequestError('OUTCOME_UNKNOWN', `${first} ran${namedBy(outcome.ids)}, but its answer was larger than IDEMPOTENCY_MAX_ANSWER_BYTES (${this.#options.config.IDEMPOTENCY_MAX_ANSWER_BYTES}) and was not kept: it went only to that request; use a new key to run it again; nothing was sent upstream`))
      return
    }
    if (outcome?.kind !== 'answered') return
    const { answer } = outcome
    request.record.replayed = true
    request.record.bytesOut = answer.body.length
    // a billable call's replayed answer names its transaction on this line too
    request.exchange.transactionIds?.feed(answer.body)
    const headers = downstreamResponseHeaders(answer.headers, request.id, this.#options.draining()) as Record<string, string | string[]>
    reply.code(answer.status)
    reply.headers(headers)
    reply.header(REPLAYED_HEADER, 'true')
    reply.send(answer.body)
  }

  #when (entry: JournalEntry): string {
    return new Date(entry.startedAt).toISOString()
  }
}

/** `; Trulioo's answer named it TransactionID …, TransactionRecordID …`, or nothing when no id had arrived. */
function namedBy (ids: TransactionIds | undefined): string {
  return ids === undefined ? '' : `; Trulioo's answer named it ${describeIds(ids)}`
}

/** A request carries a body only with Content-Length or Transfer-Encoding (RFC 9112 §6.3). */
function hasBody (request: FastifyRequest): boolean {
  const headers = request.raw.headers
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0')
}

/**
 * Whose key it is: the caller, as the sidecar knows callers. With
 * PROXY_AUTH_TOKEN set that is the proxy token the request presented (the
 * admit stage has checked it); without, everyone who can reach the listener
 * is one caller.
 */
function scopeOf (request: FastifyRequest, config: Readonly<Config>): string {
  if (config.PROXY_AUTH_TOKEN === undefined) return ''
  const given = request.headers['proxy-authorization']
  return `proxy:${typeof given === 'string' ? given : ''}`
}
