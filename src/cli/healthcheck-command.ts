import http from 'node:http'
import type { Command } from 'commander'
import { DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT } from '../config/schema.js'
import type { CliIo } from './cli-io.js'
import { PROGRAM } from './fail.js'
import { parsePort, parsePositive } from './parse-options.js'

/** Short enough for Docker's default 30 s HEALTHCHECK timeout, long enough for a busy host. */
export const DEFAULT_HEALTHCHECK_TIMEOUT_MS = 2000

export interface HealthcheckOptions {
  /** Admin address; default ADMIN_HOST from the environment (0.0.0.0 / :: become loopback). */
  host?: string
  /** Admin port; default ADMIN_PORT from the environment. */
  port?: number
  /** `/livez` (Docker HEALTHCHECK) or `/readyz` (compose gating an app on readiness). */
  path?: string
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
}

export interface HealthcheckTarget { host: string, port: number, path: string }

/**
 * Where to ask, from the same ADMIN_HOST / ADMIN_PORT the sidecar listens
 * on. Reads only those two variables: a probe that runs every few seconds
 * must not read secret files or fail on an unrelated setting. (Nor ./.env:
 * the image has none; elsewhere pass --host/--port if .env moves the port.)
 */
export function healthcheckTarget (options: HealthcheckOptions = {}): HealthcheckTarget {
  const env = options.env ?? process.env
  const host = options.host ?? (env.ADMIN_HOST || DEFAULT_ADMIN_HOST)
  const port = options.port ?? (env.ADMIN_PORT ? Number(env.ADMIN_PORT) : DEFAULT_ADMIN_PORT)
  return { host: reachableHost(host), port, path: options.path ?? '/livez' }
}

/** A wildcard listen address is not somewhere to connect to: ask loopback instead. */
export function reachableHost (host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::' || host === '[::]') return '::1'
  return host.replace(/^\[|\]$/g, '')
}

/** Resolves with a one-line verdict; never rejects. */
export function probe (target: HealthcheckTarget, timeoutMs = DEFAULT_HEALTHCHECK_TIMEOUT_MS): Promise<{ ok: boolean, line: string }> {
  const where = `http://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}${target.path}`
  if (!Number.isInteger(target.port) || target.port <= 0 || target.port > 65535) {
    return Promise.resolve({ ok: false, line: `ADMIN_PORT ${target.port} has no admin listener to ask (0 turns it off)` })
  }
  return new Promise((resolve) => {
    const req = http.get({ host: target.host, port: target.port, path: target.path, timeout: timeoutMs, agent: false }, (res) => {
      res.resume()
      const status = res.statusCode ?? 0
      resolve({ ok: status >= 200 && status < 300, line: `${where} answered ${status}` })
    })
    req.on('timeout', () => { req.destroy(new Error(`no answer within ${timeoutMs} ms`)) })
    req.on('error', (err: NodeJS.ErrnoException) => {
      resolve({ ok: false, line: `${where} failed: ${err.code ?? err.message}` })
    })
  })
}

export const HEALTHCHECK_DESCRIPTION = 'exit 0 when the admin listener (ADMIN_HOST, ADMIN_PORT) answers /livez, else 1: a HEALTHCHECK that needs no curl'

export function registerHealthcheck (program: Command, io: CliIo): void {
  program.command('healthcheck')
    .description(HEALTHCHECK_DESCRIPTION)
    .option('--ready', 'ask /readyz instead: ready to serve, not merely alive')
    .option('--host <host>', 'admin address to ask (default: ADMIN_HOST, loopback when it is 0.0.0.0)')
    .option('--port <port>', 'admin port to ask (default: ADMIN_PORT)', parsePort)
    .option('--timeout <ms>', 'give up after this many milliseconds', parsePositive, DEFAULT_HEALTHCHECK_TIMEOUT_MS)
    .action(async (opts: { ready?: boolean, host?: string, port?: number, timeout: number }) => {
      io.setExitCode(await healthcheck({
        path: opts.ready === true ? '/readyz' : '/livez',
        timeoutMs: opts.timeout,
        env: io.env,
        ...(opts.host === undefined ? {} : { host: opts.host }),
        ...(opts.port === undefined ? {} : { port: opts.port })
      }, io))
    })
}

/** `trulioo-mtls-sidecar healthcheck`: 0 when the admin endpoint answers 2xx, else 1. */
export async function healthcheck (options: HealthcheckOptions, io: Pick<CliIo, 'stdout' | 'stderr'>): Promise<number> {
  const { ok, line } = await probe(healthcheckTarget(options), options.timeoutMs)
  ;(ok ? io.stdout : io.stderr).write(`${PROGRAM} healthcheck: ${line}\n`)
  return ok ? 0 : 1
}
