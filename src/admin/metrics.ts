import { readdirSync } from 'node:fs'
import { REQUEST_ERRORS, type RequestErrorCode } from '../errors.js'
import type { TokenStore } from '../auth/token-store.js'
import type { IdentityStore, RejectedEvent, ReloadOutcome } from '../identity/identity-store.js'
import type { AccessRecord, RecordObserver } from '../proxy/access-record.js'
import { ALLOWED_METHODS } from '../proxy/admit.js'
import type { Readiness } from '../readiness.js'
import type { LifecycleFacts } from '../lifecycle.js'
import type { StoreHealth } from '../journal/journal-store.js'

export const METRIC_PREFIX = 'trulioo_sidecar_'

export interface MetricSpec {
  readonly name: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  readonly labels: readonly string[]
  readonly help: string
}

/**
 * Every metric the sidecar exposes: the one table that `/metrics` follows
 * and the metrics table of docs/operations.md is generated from (`npm run docs`,
 * checked by test/config/config-docs.test.ts).
 */
export const METRICS = [
  { name: 'trulioo_sidecar_requests_total', type: 'counter', labels: ['method', 'status_class'], help: 'Requests answered, by method and status class (status_class "other": no status was sent)' },
  { name: 'trulioo_sidecar_request_duration_seconds', type: 'histogram', labels: ['method'], help: 'Time from a request to the end of its response' },
  { name: 'trulioo_sidecar_upstream_duration_seconds', type: 'histogram', labels: ['method'], help: 'Time from forwarding a request to the upstream\'s response headers' },
  { name: 'trulioo_sidecar_errors_total', type: 'counter', labels: ['code'], help: 'Errors the sidecar itself answered, by code; every code is present from start-up' },
  { name: 'trulioo_sidecar_answers_lost_total', type: 'counter', labels: [], help: 'POST and PATCH calls sent whole upstream whose application left before the answer: the answer was read to its end for the access line (answerLost), never abandoned' },
  { name: 'trulioo_sidecar_requests_in_flight', type: 'gauge', labels: [], help: 'Requests being served right now' },
  { name: 'trulioo_sidecar_upstream_open_connections', type: 'gauge', labels: [], help: 'TLS connections open to the upstream' },
  { name: 'trulioo_sidecar_client_certificate_expiration_timestamp_seconds', type: 'gauge', labels: ['serial'], help: 'Expiry of each client certificate loaded (every member of TLS_IDENTITIES_DIR, or the one in use), as seconds since the epoch; a rotation shows as a new serial' },
  { name: 'trulioo_sidecar_client_certificate_info', type: 'gauge', labels: ['serial', 'member', 'state'], help: 'Always 1, one series per loaded client certificate: its member (folder in TLS_IDENTITIES_DIR, or TLS_CERT_FILE / TLS_PFX_FILE) and state (active, standby, rejected, expired, not yet valid)' },
  { name: 'trulioo_sidecar_client_certificate_rejections_total', type: 'counter', labels: ['serial'], help: 'Times the upstream refused a member\'s client certificate in the TLS handshake (the request went on to the next member when it could)' },
  { name: 'trulioo_sidecar_identity_reloads_total', type: 'counter', labels: ['outcome'], help: 'Identity and credential reloads, by outcome (success, failure)' },
  { name: 'trulioo_sidecar_token_fetches_total', type: 'counter', labels: ['scope', 'outcome'], help: 'Calls to the OAuth2 token endpoint, by scope and outcome (success, failure); every scope a route uses is present from start-up' },
  { name: 'trulioo_sidecar_token_expiration_timestamp_seconds', type: 'gauge', labels: ['scope'], help: 'Expiry of the OAuth2 token held for the scope, as seconds since the epoch; 0 while none is held' },
  { name: 'trulioo_sidecar_token_replays_total', type: 'counter', labels: ['scope'], help: 'Requests replayed once with a new token after the upstream answered 401 to the cached one' },
  { name: 'trulioo_sidecar_idempotency_store_up', type: 'gauge', labels: ['store'], help: '1 when the idempotency journal\'s store answers, else 0 (store: memory, always 1; redis, a shared Redis or Valkey); while 0, requests with Idempotency-Key get 503 IDEMPOTENCY_STORE_UNAVAILABLE, readiness is not affected' },
  { name: 'trulioo_sidecar_idempotency_store_errors_total', type: 'counter', labels: [], help: 'Calls to the shared idempotency store that failed: unreachable, timed out, or an entry that does not decrypt' },
  { name: 'trulioo_sidecar_ready', type: 'gauge', labels: [], help: '1 when the sidecar is ready (as /readyz), else 0' },
  { name: 'trulioo_sidecar_build_info', type: 'gauge', labels: ['version', 'node'], help: 'Always 1; the sidecar\'s version and the Node.js version it runs on' },
  { name: 'process_cpu_seconds_total', type: 'counter', labels: [], help: 'User and system CPU time spent, in seconds' },
  { name: 'process_resident_memory_bytes', type: 'gauge', labels: [], help: 'Resident memory size, in bytes' },
  { name: 'process_start_time_seconds', type: 'gauge', labels: [], help: 'Start time of the process, as seconds since the epoch' },
  { name: 'process_open_fds', type: 'gauge', labels: [], help: 'Open file descriptors (Linux only)' },
  { name: 'nodejs_heap_size_used_bytes', type: 'gauge', labels: [], help: 'V8 heap in use, in bytes' },
  { name: 'nodejs_heap_size_total_bytes', type: 'gauge', labels: [], help: 'V8 heap allocated, in bytes' }
] as const satisfies readonly MetricSpec[]

type MetricName = typeof METRICS[number]['name']
const SPEC = new Map<string, MetricSpec>(METRICS.map((m) => [m.name, m]))

/** Label values come from small fixed sets: never a raw path or a raw method. */
const METHODS = [...ALLOWED_METHODS, 'OTHER'] as const
const METHOD_INDEX = new Map<string, number>(ALLOWED_METHODS.map((m, i) => [m, i]))
const OTHER_METHOD = METHODS.length - 1
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const

export function methodLabel (method: string): string {
  return METHODS[METHOD_INDEX.get(method) ?? OTHER_METHOD] as string
}

export function statusClass (status: number): string {
  return STATUS_CLASSES[statusClassIndex(status)] as string
}

function statusClassIndex (status: number): number {
  return status >= 100 && status < 600 ? Math.floor(status / 100) - 1 : 5
}

export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 130] as const

/** A histogram per method, in flat arrays: observing allocates nothing. */
class MethodHistogram {
  readonly counts = new Float64Array(METHODS.length * DURATION_BUCKETS.length)
  readonly sums = new Float64Array(METHODS.length)
  readonly totals = new Float64Array(METHODS.length)

  observe (method: number, seconds: number): void {
    this.sums[method] = (this.sums[method] as number) + seconds
    this.totals[method] = (this.totals[method] as number) + 1
    const base = method * DURATION_BUCKETS.length
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (seconds <= (DURATION_BUCKETS[i] as number)) {
        this.counts[base + i] = (this.counts[base + i] as number) + 1
        return
      }
    }
  }
}

export interface MetricsSources {
  store: IdentityStore
  lifecycle: LifecycleFacts
  readiness: Readiness
  openConnections: () => number
  version: string
  /** The token store, when a route uses OAuth2. */
  tokens?: TokenStore | undefined
  /** The idempotency journal's store, when it is a shared one (memory: always up). */
  journalStore?: (() => StoreHealth) | undefined
}

/**
 * The sidecar's Prometheus metrics. The hot path (`observe`, once per
 * request) adds to numbers in flat arrays; the text exposition is built only
 * when `/metrics` is scraped.
 */
export class SidecarMetrics implements RecordObserver {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8'
  readonly #requests = new Float64Array(METHODS.length * STATUS_CLASSES.length)
  readonly #duration = new MethodHistogram()
  readonly #upstreamDuration = new MethodHistogram()
  readonly #errors = new Map<string, number>(Object.keys(REQUEST_ERRORS).map((code) => [code, 0]))
  readonly #reloads = { success: 0, failure: 0 }
  /** By serial: every member loaded from start-up at 0, so that `increase()` sees the first refusal. */
  readonly #rejections = new Map<string, number>()
  #answersLost = 0
  readonly #sources: MetricsSources

  constructor (sources: MetricsSources) {
    this.#sources = sources
    const known = (): void => {
      for (const m of sources.store.members) if (m.identity !== undefined && !this.#rejections.has(m.identity.info.serialNumber)) this.#rejections.set(m.identity.info.serialNumber, 0)
    }
    known()
    sources.store.on('reload', (outcome: ReloadOutcome) => {
      this.#reloads[outcome.ok ? 'success' : 'failure']++
      known()
    })
    sources.store.on('rejected', (event: RejectedEvent) => { this.#rejections.set(event.serialNumber, (this.#rejections.get(event.serialNumber) ?? 0) + 1) })
  }

  /** Records one finished request. */
  observe (record: AccessRecord, durationMs: number): void {
    const method = METHOD_INDEX.get(record.method) ?? OTHER_METHOD
    const cell = method * STATUS_CLASSES.length + statusClassIndex(record.status)
    this.#requests[cell] = (this.#requests[cell] as number) + 1
    this.#duration.observe(method, durationMs / 1000)
    if (record.upstreamMs !== undefined) this.#upstreamDuration.observe(method, record.upstreamMs / 1000)
    if (record.errorCode !== undefined) this.#errors.set(record.errorCode, (this.#errors.get(record.errorCode) ?? 0) + 1)
    if (record.answerLost) this.#answersLost++
  }

  /** The exposition text, in METRICS order. */
  render (): string {
    const { store, lifecycle, readiness, version } = this.#sources
    const out = new Exposition()
    out.family('trulioo_sidecar_requests_total')
    for (let m = 0; m < METHODS.length; m++) {
      for (let c = 0; c < STATUS_CLASSES.length; c++) {
        const value = this.#requests[m * STATUS_CLASSES.length + c] as number
        if (value > 0) out.sample('trulioo_sidecar_requests_total', { method: METHODS[m] as string, status_class: STATUS_CLASSES[c] as string }, value)
      }
    }
    out.histogram('trulioo_sidecar_request_duration_seconds', this.#duration)
    out.histogram('trulioo_sidecar_upstream_duration_seconds', this.#upstreamDuration)
    out.family('trulioo_sidecar_errors_total')
    for (const [code, value] of this.#errors) out.sample('trulioo_sidecar_errors_total', { code }, value)
    out.single('trulioo_sidecar_answers_lost_total', this.#answersLost)
    out.single('trulioo_sidecar_requests_in_flight', lifecycle.inFlight)
    out.single('trulioo_sidecar_upstream_open_connections', this.#sources.openConnections())
    const members = store.memberStatus().filter((m) => m.info !== undefined)
    out.family('trulioo_sidecar_client_certificate_expiration_timestamp_seconds')
    for (const m of members) out.sample('trulioo_sidecar_client_certificate_expiration_timestamp_seconds', { serial: m.info!.serialNumber }, Math.floor(m.info!.notAfter.getTime() / 1000))
    out.family('trulioo_sidecar_client_certificate_info')
    for (const m of members) out.sample('trulioo_sidecar_client_certificate_info', { serial: m.info!.serialNumber, member: m.name, state: m.state }, 1)
    out.family('trulioo_sidecar_client_certificate_rejections_total')
    for (const [serial, count] of this.#rejections) out.sample('trulioo_sidecar_client_certificate_rejections_total', { serial }, count)
    out.family('trulioo_sidecar_identity_reloads_total')
    for (const outcome of ['success', 'failure'] as const) out.sample('trulioo_sidecar_identity_reloads_total', { outcome }, this.#reloads[outcome])
    const tokens = this.#sources.tokens
    const scopes = tokens?.scopes ?? []
    out.family('trulioo_sidecar_token_fetches_total')
    for (const scope of scopes) {
      const counts = (tokens as TokenStore).counters(scope)
      for (const outcome of ['success', 'failure'] as const) out.sample('trulioo_sidecar_token_fetches_total', { scope, outcome }, counts[outcome])
    }
    out.family('trulioo_sidecar_token_expiration_timestamp_seconds')
    for (const scope of scopes) {
      const token = (tokens as TokenStore).current(scope)
      out.sample('trulioo_sidecar_token_expiration_timestamp_seconds', { scope }, token === undefined ? 0 : Math.floor(token.expiresAt / 1000))
    }
    out.family('trulioo_sidecar_token_replays_total')
    for (const scope of scopes) out.sample('trulioo_sidecar_token_replays_total', { scope }, (tokens as TokenStore).counters(scope).replays)
    const journal = this.#sources.journalStore?.()
    out.family('trulioo_sidecar_idempotency_store_up')
    out.sample('trulioo_sidecar_idempotency_store_up', { store: journal?.kind ?? 'memory' }, journal === undefined || journal.connected ? 1 : 0)
    out.single('trulioo_sidecar_idempotency_store_errors_total', journal?.errors ?? 0)
    out.single('trulioo_sidecar_ready', readiness.ready ? 1 : 0)
    out.family('trulioo_sidecar_build_info')
    out.sample('trulioo_sidecar_build_info', { version, node: process.versions.node }, 1)
    const cpu = process.cpuUsage()
    out.single('process_cpu_seconds_total', (cpu.user + cpu.system) / 1e6)
    const memory = process.memoryUsage()
    out.single('process_resident_memory_bytes', memory.rss)
    out.single('process_start_time_seconds', Math.round(Date.now() / 1000 - process.uptime()))
    const fds = openFds()
    if (fds !== undefined) out.single('process_open_fds', fds)
    out.single('nodejs_heap_size_used_bytes', memory.heapUsed)
    out.single('nodejs_heap_size_total_bytes', memory.heapTotal)
    return out.text
  }

  /** The value of one error code's counter (tests, status). */
  errorCount (code: RequestErrorCode): number {
    return this.#errors.get(code) ?? 0
  }
}

function openFds (): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1 // less the one readdir itself opened
  } catch {
    return undefined
  }
}

/** Prometheus text format 0.0.4, written in one pass. */
class Exposition {
  text = ''

  family (name: MetricName): void {
    const spec = SPEC.get(name) as MetricSpec
    this.text += `# HELP ${name} ${spec.help}\n# TYPE ${name} ${spec.type}\n`
  }

  sample (name: string, labels: Record<string, string> | undefined, value: number): void {
    let rendered = ''
    if (labels !== undefined) {
      for (const key in labels) rendered += `${rendered === '' ? '' : ','}${key}="${escapeLabel(labels[key] as string)}"`
    }
    this.text += `${name}${rendered === '' ? '' : `{${rendered}}`} ${formatValue(value)}\n`
  }

  single (name: MetricName, value: number): void {
    this.family(name)
    this.sample(name, undefined, value)
  }

  histogram (name: MetricName, h: MethodHistogram): void {
    this.family(name)
    for (let m = 0; m < METHODS.length; m++) {
      const total = h.totals[m] as number
      if (total === 0) continue
      const method = METHODS[m] as string
      let cumulative = 0
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        cumulative += h.counts[m * DURATION_BUCKETS.length + i] as number
        this.sample(`${name}_bucket`, { method, le: String(DURATION_BUCKETS[i]) }, cumulative)
      }
      this.sample(`${name}_bucket`, { method, le: '+Inf' }, total)
      this.sample(`${name}_sum`, { method }, h.sums[m] as number)
      this.sample(`${name}_count`, { method }, total)
    }
  }
}

function escapeLabel (value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function formatValue (value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}
