import { EventEmitter } from 'node:events'
import { type Clock, SYSTEM_CLOCK } from '../clock.js'
import { SidecarRequestError, TokenFetchError } from '../errors.js'
import type { TokenAnswer } from './token-client.js'

/** One OAuth2 access token; the value lives here and in the header sent upstream, nowhere else. */
export interface Token {
  readonly scope: string
  /** `Bearer <access token>`, built once. */
  readonly authorization: string
  readonly obtainedAt: number
  readonly expiresAt: number
  /** When the refresh ahead of expiry starts. */
  readonly refreshAt: number
}

export type FetchToken = (scope: string) => Promise<TokenAnswer>

export interface TokenLog {
  debug (fields: Record<string, unknown>, message: string): void
  warn (fields: Record<string, unknown>, message: string): void
}

export interface TokenStoreOptions {
  clock?: Clock
  /** First retry after a failed fetch; doubles up to maxBackoffMs, with jitter. */
  firstBackoffMs?: number
  maxBackoffMs?: number
  /** A request with no token starts a fetch only this long after the last failure (else 503 at once). */
  minRetryMs?: number
  random?: () => number
  /** The shortest lifetime a token is given, whatever `expires_in` says. */
  minLifetimeMs?: number
  log?: TokenLog
}

/** When `expires_in` is missing or absurd (≤ 0, over a day): short enough to be safe. */
export const DEFAULT_LIFETIME_S = 300
export const MAX_LIFETIME_S = 86_400
/**
 * A shorter `expires_in` (0.001, say) counts as this: otherwise each token is
 * refreshed at once and the endpoint called in a loop. A token that really
 * ends sooner is replaced after the upstream's 401 (replay-on-401.ts).
 */
export const MIN_LIFETIME_S = 60
export const FIRST_BACKOFF_MS = 1_000
export const MAX_BACKOFF_MS = 60_000
export const MIN_RETRY_MS = 1_000
/** Refresh at 80 % of the lifetime and never later than this before the end… */
export const REFRESH_BEFORE_END_MS = 60_000
/** …but never before half of it, so that a short-lived token is not refreshed in a loop. */
const REFRESH_FLOOR = 0.5

interface ScopeState {
  readonly scope: string
  token: Token | undefined
  flight: Promise<Token> | undefined
  timer: unknown
  failures: number
  lastFailureAt: number | undefined
  lastError: TokenFetchError | undefined
  lastFetchAt: number | undefined
  /** Bumped when the client secret changes: an answer to an older fetch is not kept. */
  generation: number
  loggedLifetime: boolean
  loggedShortLifetime: boolean
  readonly fetches: { success: number, failure: number }
  replays: number
}

export interface ScopeStatus {
  readonly held: boolean
  readonly expiresAt: string | null
  readonly refreshAt: string | null
  readonly lastFetchAt: string | null
  readonly lastError: string | null
}

/**
 * The only owner of OAuth2 tokens: one cache per scope. Each scope's token is
 * fetched at start, refreshed ahead of expiry (so no request waits while the
 * old token is valid), fetched once however many requests want it at the
 * same time (single-flight), and retried with backoff and jitter when the
 * endpoint fails, while the old token serves until it expires.
 *
 * Events: `change` (scope), whenever a token is stored or dropped.
 */
export class TokenStore extends EventEmitter {
  readonly #scopes = new Map<string, ScopeState>()
  readonly #clock: Clock
  readonly #firstBackoffMs: number
  readonly #maxBackoffMs: number
  readonly #minRetryMs: number
  readonly #random: () => number
  readonly #minLifetimeMs: number
  readonly #log: TokenLog | undefined
  #fetch: FetchToken
  #closed = false

  constructor (scopes: readonly string[], fetch: FetchToken, options: TokenStoreOptions = {}) {
    super()
    this.#fetch = fetch
    this.#clock = options.clock ?? SYSTEM_CLOCK
    this.#firstBackoffMs = options.firstBackoffMs ?? FIRST_BACKOFF_MS
    this.#maxBackoffMs = options.maxBackoffMs ?? MAX_BACKOFF_MS
    this.#minRetryMs = options.minRetryMs ?? MIN_RETRY_MS
    this.#random = options.random ?? Math.random
    this.#minLifetimeMs = options.minLifetimeMs ?? MIN_LIFETIME_S * 1000
    this.#log = options.log
    for (const scope of scopes) {
      this.#scopes.set(scope, {
        scope, token: undefined, flight: undefined, timer: undefined, failures: 0, lastFailureAt: undefined, lastError: undefined,
        lastFetchAt: undefined, generation: 0, loggedLifetime: false, loggedShortLifetime: false, fetches: { success: 0, failure: 0 }, replays: 0
      })
    }
  }

  get scopes (): string[] { return [...this.#scopes.keys()] }

  /** Fetches a token for every scope (readiness waits for them). */
  start (): void {
    for (const state of this.#scopes.values()) void this.#start(state).catch(() => {})
  }

  /** The valid token held for `scope`, or undefined: what a request uses without waiting. */
  current (scope: string): Token | undefined {
    const token = this.#scopes.get(scope)?.token
    return token !== undefined && this.#clock.now() < token.expiresAt ? token : undefined
  }

  /**
   * A valid token for `scope`: the one held, else the fetch under way, else a
   * new fetch — unless one failed less than minRetryMs ago, then
   * TOKEN_UNAVAILABLE at once, so a failing endpoint is not called per request.
   */
  async get (scope: string): Promise<Token> {
    const token = this.current(scope)
    if (token !== undefined) return token
    const state = this.#state(scope)
    if (state.flight !== undefined) return await state.flight
    if (state.lastFailureAt !== undefined && this.#clock.now() - state.lastFailureAt < this.#minRetryMs) throw unavailable(state)
    return await this.#start(state)
  }

  /**
   * The upstream refused `sent` with a 401. If it is still the token held,
   * it is dropped and a new one fetched (single-flight); if another has
   * replaced it meanwhile, that one is the answer.
   */
  async renewAfterRejection (sent: Token): Promise<Token> {
    const state = this.#state(sent.scope)
    const held = this.current(sent.scope)
    if (held !== undefined && held !== sent) return held
    if (state.flight !== undefined) return await state.flight
    if (state.token === sent) {
      state.token = undefined
      this.emit('change', sent.scope)
    }
    return await this.#start(state)
  }

  /** A new client secret: every token bought with the old one is dropped and fetched again. */
  reset (): void {
    for (const state of this.#scopes.values()) {
      state.generation++
      state.token = undefined
      state.flight = undefined
      state.failures = 0
      state.lastFailureAt = undefined
      this.emit('change', state.scope)
      void this.#start(state).catch(() => {})
    }
  }

  /** The function that calls the token endpoint (a new identity builds a new client). */
  useFetcher (fetch: FetchToken): void {
    this.#fetch = fetch
  }

  countReplay (scope: string): void {
    const state = this.#scopes.get(scope)
    if (state !== undefined) state.replays++
  }

  /** Per scope: held or not, when it expires, the last failure. Never the token. */
  status (): Record<string, ScopeStatus> {
    const out: Record<string, ScopeStatus> = {}
    const iso = (ms: number | undefined): string | null => ms === undefined ? null : new Date(ms).toISOString()
    for (const state of this.#scopes.values()) {
      const token = this.current(state.scope)
      out[state.scope] = {
        held: token !== undefined,
        expiresAt: iso(token?.expiresAt),
        refreshAt: iso(token?.refreshAt),
        lastFetchAt: iso(state.lastFetchAt),
        lastError: state.lastError?.message ?? null
      }
    }
    return out
  }

  /** Why `scope` has no valid token (for readiness), or undefined when it has one. */
  missing (scope: string): string | undefined {
    if (this.current(scope) !== undefined) return undefined
    const state = this.#state(scope)
    if (state.lastError !== undefined) return state.lastError.message
    return state.flight !== undefined ? 'the first token is being fetched' : 'no token yet'
  }

  counters (scope: string): { success: number, failure: number, replays: number } {
    const state = this.#state(scope)
    return { ...state.fetches, replays: state.replays }
  }

  close (): void {
    this.#closed = true
    for (const state of this.#scopes.values()) this.#clock.clearTimeout(state.timer)
  }

  #state (scope: string): ScopeState {
    const state = this.#scopes.get(scope)
    if (state === undefined) throw new SidecarRequestError('INTERNAL_ERROR', `no token cache for scope ${scope}`)
    return state
  }

  #schedule (state: ScopeState, ms: number): void {
    this.#clock.clearTimeout(state.timer)
    if (this.#closed) return
    state.timer = this.#clock.setTimeout(() => { void this.#start(state).catch(() => {}) }, Math.max(0, ms))
  }

  /** One fetch for the scope at a time: callers join the one under way. */
  #start (state: ScopeState): Promise<Token> {
    if (state.flight !== undefined) return state.flight
    this.#clock.clearTimeout(state.timer)
    const generation = state.generation
    const flight = this.#fetch(state.scope).then(
      (answer) => {
        const token = this.#token(state, answer)
        if (generation !== state.generation) return token
        state.fetches.success++
        state.token = token
        state.failures = 0
        state.lastFailureAt = undefined
        state.lastError = undefined
        state.lastFetchAt = token.obtainedAt
        this.#schedule(state, token.refreshAt - this.#clock.now())
        // debug, not info: a line per refresh says nothing an operator acts on (/status has the expiry)
        this.#log?.debug({ scope: state.scope, expiresAt: new Date(token.expiresAt).toISOString(), refreshAt: new Date(token.refreshAt).toISOString() }, `OAuth2 token for ${state.scope} obtained`)
        this.emit('change', state.scope)
        return token
      },
      (err: unknown) => {
        const failure = err instanceof TokenFetchError ? err : new TokenFetchError('unreachable', 'the token call failed unexpectedly', { cause: err })
        // a call abandoned because the sidecar is stopping is neither a failure to report nor to retry
        if (generation !== state.generation || this.#closed) throw unavailable({ ...state, lastError: failure })
        const now = this.#clock.now()
        state.fetches.failure++
        state.failures++
        state.lastFailureAt = now
        state.lastFetchAt = now
        state.lastError = failure
        const base = Math.min(this.#maxBackoffMs, this.#firstBackoffMs * 2 ** Math.min(state.failures - 1, 30))
        const retryInMs = Math.round(base * (0.5 + this.#random() * 0.5))
        this.#schedule(state, retryInMs)
        const held = this.current(state.scope)
        this.#log?.warn({ scope: state.scope, reason: failure.reason, retryInMs, tokenHeldUntil: held === undefined ? null : new Date(held.expiresAt).toISOString() },
          `OAuth2 token for ${state.scope} not obtained: ${failure.message}; ${held === undefined ? 'requests on its routes get 503 TOKEN_UNAVAILABLE' : 'the current token serves until it expires'}`)
        throw unavailable(state)
      }
    ).finally(() => { if (state.flight === flight) state.flight = undefined })
    state.flight = flight
    flight.catch(() => {})
    return flight
  }

  #token (state: ScopeState, answer: TokenAnswer): Token {
    const now = this.#clock.now()
    const given = typeof answer.expiresIn === 'string' && /^\d+(\.\d+)?$/.test(answer.expiresIn) ? Number(answer.expiresIn) : answer.expiresIn
    let seconds = typeof given === 'number' && Number.isFinite(given) ? given : Number.NaN
    if (!(seconds > 0 && seconds <= MAX_LIFETIME_S)) {
      if (!state.loggedLifetime) {
        state.loggedLifetime = true
        this.#log?.warn({ scope: state.scope, expiresIn: typeof answer.expiresIn === 'number' ? answer.expiresIn : typeof answer.expiresIn }, `the token endpoint gave ${state.scope} no usable lifetime (expires_in missing, ≤ 0 or over a day): assuming ${DEFAULT_LIFETIME_S} s`)
      }
      seconds = DEFAULT_LIFETIME_S
    }
    let lifetime = seconds * 1000
    if (lifetime < this.#minLifetimeMs) {
      if (!state.loggedShortLifetime) {
        state.loggedShortLifetime = true
        this.#log?.warn({ scope: state.scope, expiresIn: seconds, assumedS: this.#minLifetimeMs / 1000 },
          `the token endpoint gave ${state.scope} a lifetime of ${seconds} s: assuming ${this.#minLifetimeMs / 1000} s, so that the endpoint is not called in a loop`)
      }
      lifetime = this.#minLifetimeMs
    }
    const refreshAfter = Math.max(REFRESH_FLOOR * lifetime, Math.min(0.8 * lifetime, lifetime - REFRESH_BEFORE_END_MS))
    return Object.freeze({ scope: state.scope, authorization: `Bearer ${answer.accessToken}`, obtainedAt: now, expiresAt: now + lifetime, refreshAt: now + refreshAfter })
  }
}

function unavailable (state: Pick<ScopeState, 'scope' | 'lastError'>): SidecarRequestError {
  const why = state.lastError === undefined ? 'no token yet' : state.lastError.message
  return new SidecarRequestError('TOKEN_UNAVAILABLE', `no valid OAuth2 token for scope ${state.scope}: ${why}; the request was not forwarded`)
}
