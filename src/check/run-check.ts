import { performance } from 'node:perf_hooks'
import { requireConfigFile } from '../config/config-file.js'
import { loadConfig, upstreamOrigin, upstreamServername } from '../config/load-config.js'
import type { Config } from '../config/schema.js'
import { ConfigError, ConfigErrors, EXIT_CONFIG } from '../errors.js'
import { basicAuthorization } from '../identity/basic-auth.js'
import { type Identity, IdentityLoading } from '../identity/load-identity.js'
import { memberConfig } from '../identity/identity-members.js'
import type { Member } from '../identity/identity-set.js'
import { IdentityStore } from '../identity/identity-store.js'
import { egressProxyAuthorization, upstreamTarget } from '../config/egress-proxy.js'
import { type Egress, egressFor } from '../upstream/connect-tunnel.js'
import { adviceForConfig } from './advice.js'
import { type CheckContext, type CheckReport, fail, type Step, type StepId, type StepOutcome, type StepResult } from './check-types.js'
import { authStep, clientCertStep, roundTripStep } from './http-steps.js'
import { certificateStep, keyMatchStep, passphraseStep } from './identity-steps.js'
import { egressProxyStep } from './egress-step.js'
import { journalStoreSteps } from './journal-store-step.js'
import { membersStep } from './members-step.js'
import { tokenSteps } from './token-steps.js'
import { dnsStep, tcpStep, tlsStep } from './network-steps.js'

export interface RunCheckOptions {
  env?: NodeJS.ProcessEnv
  envFile?: string | false
  /** `--config-file`: the file must exist (./.env is read only when present). */
  envFileRequired?: boolean
  /** The clock the certificate's validity is judged by. */
  now?: Date
}

/** The chain a person would debug by hand, in the order they would. */
export const STEPS: readonly Step[] = [
  certificateStep, passphraseStep, keyMatchStep,
  dnsStep, tcpStep, egressProxyStep, tlsStep, clientCertStep, authStep, roundTripStep
]

/**
 * Runs every step of `check` in order and stops at the first failure. Returns
 * what each step found; printing is the command's business, so tests call this.
 */
export async function runCheck (options: RunCheckOptions = {}): Promise<CheckReport> {
  const results: StepResult[] = []
  const started = performance.now()
  let config: Config
  try {
    if (options.envFileRequired === true && typeof options.envFile === 'string') requireConfigFile(options.envFile)
    config = loadConfig({
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.envFile === undefined ? {} : { envFile: options.envFile })
    })
  } catch (err) {
    if (!(err instanceof ConfigErrors) && !(err instanceof ConfigError)) throw err
    const problems = err instanceof ConfigErrors ? err.problems : [err]
    const lines = problems.map((p) => p.toLine())
    results.push(result(configStep, fail(lines.join('; '), adviceForConfig(problems), { problems: lines, codes: problems.map((p) => p.code) }), started))
    return { ok: false, exitCode: EXIT_CONFIG, upstream: undefined, steps: results, notRun: STEPS.map((s) => s.id) }
  }
  let context: CheckContext
  try {
    context = newContext(config, options.now ?? new Date())
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    results.push(result(configStep, fail(err.toLine(), adviceForConfig([err]), { problems: [err.toLine()], codes: [err.code] }), started))
    return { ok: false, exitCode: EXIT_CONFIG, upstream: undefined, steps: results, notRun: STEPS.map((s) => s.id) }
  }
  results.push(result(configStep, { status: 'pass', detail: describeConfig(config, context.egress) }, started))

  let notRun: StepId[] = []
  // the OAuth2 steps appear only with client credentials, the store's only with a shared store;
  // with TLS_IDENTITIES_DIR, every member is tried once the TLS handshake works, before the
  // active one's own steps: when the active member is refused, the verdict on the others is what helps
  const members = config.TLS_IDENTITIES_DIR === undefined ? [] : [membersStep]
  const at = STEPS.indexOf(tlsStep) + 1
  const steps = [...STEPS.slice(0, at), ...members, ...STEPS.slice(at), ...tokenSteps(config), ...journalStoreSteps(config)]
  try {
    for (const [index, step] of steps.entries()) {
      const stepStarted = performance.now()
      let outcome: StepOutcome
      try {
        outcome = await step.run(context)
      } catch (err) {
        outcome = fail(`unexpected error: ${(err as Error).message}`, 'This is a bug in the sidecar\'s check: please report it with this line.')
      }
      results.push(result(step, outcome, stepStarted))
      if (outcome.status === 'fail') {
        notRun = steps.slice(index + 1).map((s) => s.id)
        break
      }
    }
  } finally {
    context.tcp?.destroy()
    await context.agent?.destroy()
    await context.tokenClient?.close()
  }
  const ok = results.every((r) => r.status !== 'fail')
  return { ok, exitCode: ok ? 0 : 1, upstream: config.UPSTREAM_URL, steps: results, notRun }
}

const configStep = { id: 'config', title: 'configuration valid' } as const

function result (step: { id: StepId, title: string }, outcome: StepOutcome, started: number): StepResult {
  return { id: step.id, title: step.title, ...outcome, durationMs: Math.round(performance.now() - started) }
}

function describeConfig (config: Config, egress: Egress | undefined): string {
  const identity = config.TLS_IDENTITIES_DIR !== undefined
    ? `the set in ${config.TLS_IDENTITIES_DIR} (its active member first)`
    : config.TLS_PFX_FILE !== undefined ? `PKCS#12 ${config.TLS_PFX_FILE}` : `${config.TLS_CERT_FILE as string} + ${config.TLS_KEY_FILE as string}`
  const napi = config.TRULIOO_USERNAME === undefined ? undefined : 'NAPI username and password set'
  const oauth = config.TRULIOO_CLIENT_ID === undefined ? undefined : 'OAuth2 client credentials set'
  const credentials = [napi, oauth].filter((c) => c !== undefined).join(', ') || 'none (pass-through)'
  const way = egress === undefined ? '' : `; through the egress proxy ${egress.proxy.shown} (${egress.proxy.variable})`
  return `upstream ${config.UPSTREAM_URL}; identity ${identity}; credentials: ${credentials}${way}`
}

/** The configuration of the member `serve` would make active now; throws the set's start-up error. */
function activeMemberConfig (config: Config, now: Date): Config {
  const store = new IdentityStore(config, { clock: { now: () => now.getTime() } })
  const active = store.order()[0] as Member
  return memberConfig(config, active.source)
}

function newContext (config: Config, now: Date): CheckContext {
  const origin = upstreamOrigin(config)
  const proxyAuthorization = egressProxyAuthorization(config)
  return {
    now,
    config,
    // with TLS_IDENTITIES_DIR, the identity steps walk the member that serves (as `serve` picks it)
    identityLoading: new IdentityLoading(config.TLS_IDENTITIES_DIR === undefined ? config : activeMemberConfig(config, now), { now }),
    // set by the key-match step before any step that reads it
    identity: undefined as unknown as Identity,
    host: origin.hostname.replace(/^\[|\]$/g, ''),
    port: origin.port === '' ? 443 : Number(origin.port),
    servername: upstreamServername(config),
    addresses: [],
    egress: egressFor(config, upstreamTarget(config), () => proxyAuthorization),
    address: undefined,
    tcp: undefined,
    agent: undefined,
    authorization: basicAuthorization(config),
    firstCallMs: undefined
  }
}
