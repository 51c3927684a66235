import type { IdentityStore } from '../identity/identity-store.js'
import { daysLeft } from '../identity/load-identity.js'
import type { SidecarState } from '../state.js'

export interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

/**
 * Readiness: a valid identity is loaded, it has not expired, the sidecar is
 * not draining, and (with STARTUP_CHECK) the test call has passed. Liveness
 * never depends on the upstream.
 */
export function readinessChecks (store: IdentityStore, state: SidecarState, now = new Date()): Check[] {
  const info = store.identity.info
  const left = daysLeft(info, now)
  const checks: Check[] = [
    { name: 'identity', ok: true, detail: `loaded ${info.subject} (serial ${info.serialNumber})` },
    now.getTime() <= info.notAfter.getTime()
      ? { name: 'certificate_valid', ok: true, detail: `expires ${info.notAfter.toISOString()} (${left} days left)` }
      : { name: 'certificate_valid', ok: false, detail: `expired ${info.notAfter.toISOString()}` },
    state.draining
      ? { name: 'not_draining', ok: false, detail: 'shutting down' }
      : { name: 'not_draining', ok: true, detail: 'serving' }
  ]
  if (state.startupCheckPassed !== undefined) {
    checks.push(state.startupCheckPassed
      ? { name: 'startup_check', ok: true, detail: 'GET /connection/v1/testauthentication succeeded' }
      : { name: 'startup_check', ok: false, detail: state.startupCheckDetail ?? 'GET /connection/v1/testauthentication has not succeeded yet' })
  }
  return checks
}
