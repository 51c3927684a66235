import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { IdentityStore, ReloadOutcome } from '../identity/identity-store.js'
import { ALLOWED_METHODS } from '../proxy/request-guard.js'
import type { RequestDone } from '../proxy/proxy-app.js'
import type { SidecarState } from '../state.js'

const knownMethods = new Set<string>(ALLOWED_METHODS)

/** Label values come from small fixed sets: never a raw path or a raw method. */
export function methodLabel (method: string): string {
  return knownMethods.has(method) ? method : 'OTHER'
}

export function statusClass (status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other'
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/**
 * The sidecar's Prometheus metrics, in a registry of its own (not the
 * global one), so that two sidecars in one process (tests) never collide.
 */
export class SidecarMetrics {
  readonly registry = new Registry()
  readonly #requests: Counter<'method' | 'status_class'>
  readonly #duration: Histogram<'method'>
  readonly #upstreamDuration: Histogram<'method'>
  readonly #errors: Counter<'code'>
  readonly #reloads: Counter<'outcome'>

  constructor (store: IdentityStore, state: SidecarState) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    this.#requests = new Counter({
      name: 'sidecar_requests_total', help: 'Requests answered, by method and status class', labelNames: ['method', 'status_class'], registers
    })
    this.#duration = new Histogram({
      name: 'sidecar_request_duration_seconds', help: 'Time from request to the end of the response', labelNames: ['method'], buckets: DURATION_BUCKETS, registers
    })
    this.#upstreamDuration = new Histogram({
      name: 'sidecar_upstream_duration_seconds', help: 'Time from forwarding a request to the upstream\'s response headers', labelNames: ['method'], buckets: DURATION_BUCKETS, registers
    })
    this.#errors = new Counter({
      name: 'sidecar_errors_total', help: 'Errors the sidecar itself answered, by code', labelNames: ['code'], registers
    })
    this.#reloads = new Counter({
      name: 'sidecar_identity_reloads_total', help: 'Identity and credential reloads, by outcome', labelNames: ['outcome'], registers
    })
    for (const outcome of ['success', 'failure']) this.#reloads.inc({ outcome }, 0)
    // eslint-disable-next-line no-new
    new Gauge({
      name: 'sidecar_requests_in_flight', help: 'Requests being served right now', registers,
      collect () { this.set(state.inFlight) }
    })
    // eslint-disable-next-line no-new
    new Gauge({
      name: 'sidecar_upstream_open_connections', help: 'TLS connections open to the upstream', registers,
      collect () { this.set(store.openConnections) }
    })
    // eslint-disable-next-line no-new
    new Gauge({
      name: 'sidecar_client_certificate_not_after_seconds', help: 'Expiry of the client certificate in use, as a Unix timestamp', registers,
      collect () { this.set(Math.floor(store.identity.info.notAfter.getTime() / 1000)) }
    })
    store.on('reload', (outcome: ReloadOutcome) => { this.#reloads.inc({ outcome: outcome.ok ? 'success' : 'failure' }) })
  }

  /** Records one finished proxy request. */
  observe (done: RequestDone): void {
    const method = methodLabel(done.method)
    this.#requests.inc({ method, status_class: statusClass(done.status) })
    this.#duration.observe({ method }, done.durationMs / 1000)
    if (done.upstreamMs !== undefined) this.#upstreamDuration.observe({ method }, done.upstreamMs / 1000)
    if (done.errorCode !== undefined) this.#errors.inc({ code: done.errorCode })
  }
}
