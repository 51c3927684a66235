import type { Socket } from 'node:net'
import type { Agent } from 'undici'
import type { TokenAnswer, TokenClient } from '../auth/token-client.js'
import type { Config } from '../config/schema.js'
import type { TokenFetchError } from '../errors.js'
import type { Identity, IdentityLoading } from '../identity/load-identity.js'
import type { Egress } from '../upstream/connect-tunnel.js'

export type StepId =
  | 'config' | 'certificate' | 'passphrase' | 'key-match'
  | 'dns' | 'tcp' | 'egress-proxy' | 'tls' | 'client-cert' | 'members' | 'auth' | 'round-trip' | 'idempotency-store'
  | `token-${'endpoint' | 'credentials' | 'call'}:${string}`

/** `skip`: the step does not apply (e.g. no NAPI credentials set); it does not fail the check. */
export type StepStatus = 'pass' | 'fail' | 'skip'

/** What one step found; `advice` says what to do about a failure (or a warning on a pass). */
export interface StepOutcome {
  readonly status: StepStatus
  readonly detail: string
  readonly advice?: string
  /** Facts for `--json` readers: subject, days left, protocol, milliseconds… */
  readonly data?: Readonly<Record<string, unknown>>
}

export interface StepResult extends StepOutcome {
  readonly id: StepId
  readonly title: string
  readonly durationMs: number
}

export interface CheckReport {
  readonly ok: boolean
  readonly exitCode: number
  readonly upstream: string | undefined
  readonly steps: readonly StepResult[]
  /** Steps not run because an earlier one failed. */
  readonly notRun: readonly StepId[]
}

/** What the steps hand on to the steps after them. */
export interface CheckContext {
  readonly now: Date
  config: Config
  /** The one load of the identity, walked a phase per identity step, as `serve` runs it. */
  identityLoading: IdentityLoading
  identity: Identity
  host: string
  port: number
  servername: string | undefined
  addresses: string[]
  /** The CONNECT proxy on the way to the upstream, or undefined when the way is direct. */
  egress: Egress | undefined
  /** The address the TCP step reached (the proxy's, with an egress proxy); later connections go there too. */
  address: string | undefined
  tcp: Socket | undefined
  agent: Agent | undefined
  authorization: string | undefined
  firstCallMs: number | undefined
  /** Per OAuth2 scope: what the token endpoint gave (set by the token steps). */
  tokens?: Map<string, { answer?: TokenAnswer, error?: TokenFetchError }>
  tokenClient?: TokenClient
}

export interface Step {
  readonly id: StepId
  readonly title: string
  run (context: CheckContext): Promise<StepOutcome> | StepOutcome
}

export const pass = (detail: string, data?: Record<string, unknown>): StepOutcome =>
  ({ status: 'pass', detail, ...(data === undefined ? {} : { data }) })
export const fail = (detail: string, advice: string, data?: Record<string, unknown>): StepOutcome =>
  ({ status: 'fail', detail, advice, ...(data === undefined ? {} : { data }) })
export const skip = (detail: string): StepOutcome => ({ status: 'skip', detail })
