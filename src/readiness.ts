import type { TokenStore } from './auth/token-store.js'
import type { Clock } from './clock.js'
import { SidecarRequestError } from './errors.js'
import type { IdentityStore } from './identity/identity-store.js'
import { daysLeft } from './identity/load-identity.js'
import type { LifecycleFacts } from './lifecycle.js'

export interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

/**
 * One clause of the ready rule: its check for `/readyz` and `/status`, and,
 * for the clauses that refuse requests, the refusal a request gets while the
 * clause fails. Each clause is written once, here.
 */
interface Clause {
  readonly name: string
  /** False: the clause is not in force (STARTUP_CHECK off). */
  applies: () => boolean
  passes: (now: number) => boolean
  passed: (now: number) => string
  failed: (now: number) => string
  /** The answer to a request while the clause fails. */
  refusal: () => SidecarRequestError
}

/**
 * Whether the sidecar is ready, decided here and only here: `/readyz`,
 * `/status`, the `ready` metric and the admission of every request ask this
 * one object.
 *
 * Ready means a valid identity is loaded and has not expired, the sidecar is
 * not draining, (with STARTUP_CHECK) the test call has passed, and a token
 * is held for every OAuth2 scope a route uses. Liveness never depends on the
 * upstream.
 *
 * A missing token is not a refusal at admission: only the requests on that
 * scope's routes are refused (TOKEN_UNAVAILABLE, by the auth stage), while
 * the routes that need no token keep working.
 */
export class Readiness {
  readonly #store: IdentityStore
  readonly #clock: Pick<Clock, 'now'>
  readonly #tokens: TokenStore | undefined
  /** In the order `/readyz` lists them. */
  readonly #clauses: readonly Clause[]
  /** In the order a request meets them: draining first, then expiry, then the start-up check. */
  readonly #refusing: readonly Clause[]

  constructor (store: IdentityStore, lifecycle: LifecycleFacts, clock: Pick<Clock, 'now'>, tokens?: TokenStore) {
    this.#store = store
    this.#clock = clock
    this.#tokens = tokens
    const info = (): IdentityStore['identity']['info'] => store.identity.info
    const always = (): boolean => true
    const certificateValid: Clause = {
      name: 'certificate_valid',
      applies: always,
      // with TLS_IDENTITIES_DIR: a member valid now; the one identity: not expired (it was valid when it loaded)
      passes: (now) => store.isSet ? store.order().length > 0 : now <= info().notAfter.getTime(),
      passed: (now) => `expires ${info().notAfter.toISOString()} (${daysLeft(info(), new Date(now))} days left)`,
      failed: () => `expired ${info().notAfter.toISOString()}`,
      refusal: () => new SidecarRequestError('NOT_READY', 'the client certificate has expired; install a new one (the sidecar reloads it)')
    }
    const notDraining: Clause = {
      name: 'not_draining',
      applies: always,
      passes: () => !lifecycle.draining,
      passed: () => 'serving',
      failed: () => 'shutting down',
      refusal: () => new SidecarRequestError('SHUTTING_DOWN', 'the sidecar is shutting down; retry on another instance')
    }
    const startupCheck: Clause = {
      name: 'startup_check',
      applies: () => lifecycle.startupCheckPassed !== undefined,
      passes: () => lifecycle.startupCheckPassed !== false,
      passed: () => 'GET /connection/v1/testauthentication succeeded',
      failed: () => lifecycle.startupCheckDetail ?? 'GET /connection/v1/testauthentication has not succeeded yet',
      refusal: () => new SidecarRequestError('NOT_READY', `the start-up check has not passed yet: ${lifecycle.startupCheckDetail ?? 'no answer so far'}`)
    }
    this.#clauses = [certificateValid, notDraining, startupCheck]
    this.#refusing = [notDraining, certificateValid, startupCheck]
  }

  /** Every check, passed or not, for `/readyz` and `/status`. */
  checks (): Check[] {
    const info = this.#store.identity.info
    const now = this.#clock.now()
    const checks: Check[] = [{ name: 'identity', ok: true, detail: `loaded ${info.subject} (serial ${info.serialNumber})` }]
    for (const clause of this.#clauses) {
      if (!clause.applies()) continue
      const ok = clause.passes(now)
      checks.push({ name: clause.name, ok, detail: ok ? clause.passed(now) : clause.failed(now) })
    }
    for (const scope of this.#tokens?.scopes ?? []) {
      const tokens = this.#tokens as TokenStore
      const missing = tokens.missing(scope)
      checks.push(missing === undefined
        ? { name: `token:${scope}`, ok: true, detail: `OAuth2 token held, expires ${tokens.status()[scope]?.expiresAt ?? '?'}` }
        : { name: `token:${scope}`, ok: false, detail: `no OAuth2 token for scope ${scope}: ${missing}` })
    }
    return checks
  }

  /** Whether every check passes: what `/readyz`'s status and the `ready` metric say. */
  get ready (): boolean {
    if (this.refusal() !== undefined) return false
    const tokens = this.#tokens
    return tokens === undefined || tokens.scopes.every((scope) => tokens.missing(scope) === undefined)
  }

  /**
   * Why a request must not be forwarded now, or undefined: the per-request
   * form of the same clauses, without building the checks.
   */
  refusal (): SidecarRequestError | undefined {
    const now = this.#clock.now()
    for (const clause of this.#refusing) {
      if (clause.applies() && !clause.passes(now)) return clause.refusal()
    }
    return undefined
  }
}
