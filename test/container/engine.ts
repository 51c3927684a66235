import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ROOT } from '../helpers/root.js'

/**
 * The container engine for test/container/: found once by
 * scripts/container-env.sh (through `npm run test:container`, which exports
 * CONTAINER_DOCKER), or by running that script here when a file is run alone.
 */

export { ROOT }
/** Every container and image the suite makes carries it, so teardown finds them. */
export const LABEL = 'trulioo-mtls-sidecar.test=1'
export const IMAGE = process.env.CONTAINER_TEST_IMAGE ?? 'trulioo-mtls-sidecar:test'
const HOST_CA = '/etc/ssl/certs/ca-certificates.crt'

export interface Ran { code: number, stdout: string, stderr: string, timedOut: boolean }

/** Runs a command without blocking the event loop (the mock upstream lives here), bounded in time. */
export function run (file: string, args: string[], options: { timeoutMs?: number, env?: NodeJS.ProcessEnv, cwd?: string } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, {
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ...options.env },
      cwd: options.cwd ?? ROOT,
      killSignal: 'SIGKILL'
    }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string, killed?: boolean }) | null
      resolve({
        code: e === null ? 0 : typeof e.code === 'number' ? e.code : 127,
        stdout: String(stdout),
        stderr: String(stderr),
        timedOut: e?.killed === true
      })
    })
  })
}

let found: Promise<{ docker?: string, reason?: string }> | undefined

async function findEngine (): Promise<{ docker?: string, reason?: string }> {
  if (process.env.CONTAINER_DOCKER) return { docker: process.env.CONTAINER_DOCKER }
  if (process.env.CONTAINER_ENGINE_ERROR) return { reason: process.env.CONTAINER_ENGINE_ERROR }
  const ran = await run('bash', [join(ROOT, 'scripts', 'container-env.sh')], { timeoutMs: 900_000 })
  const docker = ran.stdout.trim().split('\n').pop()
  if (ran.code === 0 && docker) return { docker }
  return { reason: `scripts/container-env.sh failed (exit ${ran.code}): ${ran.stderr.trim().split('\n').slice(-3).join(' | ')}` }
}

interface Gate {
  comment (message: string): void
  fail (message: string): void
}

/**
 * The docker client, or undefined with the reason said: a failure under CI
 * (CI=true), where a missing engine must not look like a pass; a comment
 * (the file then runs nothing) on a developer's machine.
 */
export async function requireEngine (t: Gate): Promise<string | undefined> {
  found ??= findEngine()
  const { docker, reason } = await found
  if (docker !== undefined) return docker
  const message = `no container engine could be started: ${reason ?? 'unknown reason'}`
  if (process.env.CI === 'true') t.fail(message)
  else t.comment(`SKIP container tests: ${message}`)
  return undefined
}

/**
 * Builds the image from the repository's public Dockerfile. BuildKit's cache
 * makes every build after the first a matter of seconds. The host's CA bundle
 * goes to npm as a build secret (outgoing HTTPS may be re-signed by a CA only
 * the host trusts); it never reaches a layer.
 */
export function buildImage (docker: string, tag = IMAGE): Promise<Ran> {
  const secret = existsSync(HOST_CA) ? ['--secret', `id=npm_ca,src=${HOST_CA}`] : []
  return run(docker, ['build', ...secret, '--label', LABEL, '-t', tag, '.'], {
    timeoutMs: 540_000,
    env: { DOCKER_BUILDKIT: '1' }
  })
}

/** A port free on 127.0.0.1 right now (for --network host containers). */
export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Polls `check` every `everyMs` until it returns a value or `timeoutMs` has passed. */
export async function waitFor<T> (what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 500): Promise<T> {
  const until = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < until) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (err) {
      last = err
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last === undefined ? '' : ` (last error: ${String(last)})`}`)
}

/** A name unique to this run, so parallel runs and leftovers never collide. */
export function uniqueName (what: string): string {
  return `tmsc-test-${what}-${process.pid}-${Date.now().toString(36)}`
}

export async function inspect (docker: string, name: string, format: string): Promise<string> {
  const ran = await run(docker, ['inspect', '-f', format, name])
  return ran.stdout.trim()
}

/** Removes a container by name, whatever state it is in. */
export async function removeContainer (docker: string, name: string): Promise<void> {
  await run(docker, ['rm', '-f', '-v', name], { timeoutMs: 30_000 })
}

/** The container's stdout as parsed pino lines (non-JSON lines are skipped). */
export async function logLines (docker: string, name: string): Promise<Array<Record<string, unknown>>> {
  const ran = await run(docker, ['logs', name])
  const lines: Array<Record<string, unknown>> = []
  for (const line of `${ran.stdout}\n${ran.stderr}`.split('\n')) {
    if (!line.startsWith('{')) continue
    try { lines.push(JSON.parse(line) as Record<string, unknown>) } catch {}
  }
  return lines
}
