import type { Logger } from 'pino'
import { requireConfigFile } from '../config/config-file.js'
import { loadConfig } from '../config/load-config.js'
import { lookAlikeSettings } from '../config/look-alike-variables.js'
import type { Config } from '../config/schema.js'
import { createLogger } from '../logger.js'
import { type Sidecar, startSidecar } from '../sidecar.js'
import { exitOnStartupError, PROGRAM } from './fail.js'

export interface ServeOptions {
  envFile?: string
  /** A configuration made by the caller (demo); otherwise read from env / .env. */
  config?: Config
  /** Rewrites a start-up error before it is printed: the demo names its own flags. */
  explainStartupError?: (err: unknown) => unknown
}

/**
 * The process around the sidecar: logger, signals, exit codes.
 * SIGTERM/SIGINT drain and exit 0; a second one exits at once; SIGHUP reloads.
 */
export async function serve (options: ServeOptions = {}): Promise<Sidecar> {
  let config: Config
  let logger: Logger
  let sidecar: Sidecar
  // a misspelt setting is ignored by the schema: say so, naming the real one
  const lookAlikes = options.config === undefined ? lookAlikeSettings(process.env, options.envFile ?? '.env') : []
  try {
    if (options.envFile !== undefined) requireConfigFile(options.envFile)
    config = options.config ?? loadConfig(options.envFile === undefined ? {} : { envFile: options.envFile })
    logger = createLogger(config.LOG_LEVEL)
    for (const { variable, closest, message } of lookAlikes.splice(0)) logger.warn({ variable, closest }, message)
    sidecar = await startSidecar({ logger, config, ...(options.envFile === undefined ? {} : { envFile: options.envFile }) })
  } catch (err) {
    // before the error line: the typo is often its cause (TLS_CERT_FIEL, then "TLS_CERT_FILE: is required")
    for (const { message } of lookAlikes) process.stderr.write(`${PROGRAM}: warning: ${message}\n`)
    return exitOnStartupError(options.explainStartupError?.(err) ?? err)
  }
  installSignalHandlers(sidecar, logger)
  return sidecar
}

export function installSignalHandlers (sidecar: Sidecar, logger: Logger): void {
  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once')
      process.exit(1)
    }
    stopping = true
    const grace = sidecar.config.SHUTDOWN_GRACE_MS
    logger.info({ signal, graceMs: grace, inFlight: sidecar.lifecycle.inFlight }, 'shutting down: draining requests in flight')
    const timer = setTimeout(() => {
      logger.error({ inFlight: sidecar.lifecycle.inFlight }, 'grace period over: exiting with requests still in flight')
      process.exit(1)
    }, grace)
    timer.unref()
    sidecar.close().then(() => {
      logger.info('stopped')
      process.exit(0)
    }, (err: Error) => {
      logger.error({ err }, 'error while shutting down')
      process.exit(1)
    })
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  const reload = coalesce(() => {
    if (stopping) return
    const outcome = sidecar.store.reload()
    if (outcome.ok) logger.info({ serialNumber: outcome.serialNumber }, 'SIGHUP: identity reloaded')
    else logger.error({ reason: outcome.error }, 'SIGHUP: reload failed; the previous identity keeps serving')
  }, SIGHUP_MIN_INTERVAL_MS)
  process.on('SIGHUP', () => {
    if (stopping) {
      logger.warn('SIGHUP while shutting down: ignored')
      return
    }
    if (!reload()) logger.debug('SIGHUP: a reload is already due; coalesced')
  })
}

/**
 * A reload (reading every file, parsing the key, building a TLS context) is
 * costly and synchronous: a burst of SIGHUPs (100 in a second) must not run
 * 100 of them back to back and starve /livez. At most one per interval.
 */
export const SIGHUP_MIN_INTERVAL_MS = 1_000

/**
 * `fn` at once when it has not run within `intervalMs`, else once when the
 * interval is over, however many calls came meanwhile. Returns whether this
 * call caused a run (now or scheduled) rather than joining a pending one.
 */
export function coalesce (fn: () => void, intervalMs: number): () => boolean {
  let lastRun = -Infinity
  let pending: NodeJS.Timeout | undefined
  const run = (): void => {
    pending = undefined
    lastRun = performance.now()
    fn()
  }
  return () => {
    if (pending !== undefined) return false
    const wait = lastRun + intervalMs - performance.now()
    if (wait <= 0) run()
    else {
      pending = setTimeout(run, wait)
      pending.unref()
    }
    return true
  }
}
