import type { TokenStore } from './auth/token-store.js'
import { SidecarRequestError } from './errors.js'
import type { IdentityStore } from './identity/identity-store.js'
import { daysLeft } from './identity/load-identity.js'
import type { SidecarState } from './state.js'

export interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

/**
 * Whether the sidecar is ready, decided here and only here: `/readyz`,
 * `/status` and the admission of every request ask this one object.
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
  readonly #state: SidecarState
  readonly #now: () => number
  readonly #tokens: TokenStore | undefined

  constructor (store: IdentityStore, state: SidecarState, now: () => number = Date.now, tokens?: TokenStore) {
    this.#store = store
    this.#state = state
    this.#now = now
    this.#tokens = tokens
  }

  /** Every check, passed or not, for `/readyz` and `/status`. */
  checks (): Check[] {
    const info = this.#store.identity.info
    const now = this.#now()
    const checks: Check[] = [
      { name: 'identity', ok: true, detail: `loaded ${info.subject} (serial ${info.serialNumber})` },
      now <= info.notAfter.getTime()
        ? { name: 'certificate_valid', ok: true, detail: `expires ${info.notAfter.toISOString()} (${daysLeft(info, new Date(now))} days left)` }
        : { name: 'certificate_valid', ok: false, detail: `expired ${info.notAfter.toISOString()}` },
      this.#state.draining
        ? { name: 'not_draining', ok: false, detail: 'shutting down' }
        : { name: 'not_draining', ok: true, detail: 'serving' }
    ]
    const passed = this.#state.startupCheckPassed
    if (passed !== undefined) {
      checks.push(passed
        ? { name: 'startup_check', ok: true, detail: 'GET /connection/v1/testauthentication succeeded' }
        : { name: 'startup_check', ok: false, detail: this.#state.startupCheckDetail ?? 'GET /connection/v1/testauthentication has not succeeded yet' })
    }
    for (const scope of this.#tokens?.scopes ?? []) {
      const tokens = this.#tokens as TokenStore
      const missing = tokens.missing(scope)
      const held = tokens.status()[scope]
      checks.push(missing === undefined
        ? { name: `token:${scope}`, ok: true, detail: `OAuth2 token held, expires ${held?.expiresAt ?? '?'}` }
        : { name: `token:${scope}`, ok: false, detail: `no OAuth2 token for scope ${scope}: ${missing}` })
    }
    return checks
  }

  get ready (): boolean {
    if (this.refusal() !== undefined) return false
    const tokens = this.#tokens
    return tokens === undefined || tokens.scopes.every((scope) => tokens.current(scope) !== undefined)
  }

  /**
   * Why a request must not be forwarded now, or undefined: the per-request
   * form of the same checks, without building them (three comparisons).
   */
  refusal (): SidecarRequestError | undefined {
    const state = this.#state
    if (state.draining) return new SidecarRequestError('SHUTTING_DOWN', 'the sidecar is shutting down; retry on another instance')
    if (this.#now() > this.#store.identity.info.notAfter.getTime()) {
      return new SidecarRequestError('NOT_READY', 'the client certificate has expired; install a new one (the sidecar reloads it)')
    }
    if (state.startupCheckPassed === false) {
      return new SidecarRequestError('NOT_READY', `the start-up check has not passed yet: ${state.startupCheckDetail ?? 'no answer so far'}`)
    }
    return undefined
  }
}
