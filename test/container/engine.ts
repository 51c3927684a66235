import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { ROOT } from '../helpers/root.js'

/**
 * The container engine for test/container/: chosen once by
 * scripts/test-container.sh (an engine already running, else one prepared by
 * scripts/container-env.sh) and exported as CONTAINER_DOCKER, or chosen the
 * same way here when a file is run alone.
 */

export { ROOT }
/** Every container and image the suite makes carries it, so teardown finds them. */
export const LABEL = 'trulioo-mtls-sidecar.test=1'
export const IMAGE = process.env.CONTAINER_TEST_IMAGE ?? 'trulioo-mtls-sidecar:test'

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
  const ran = await run('bash', [join(ROOT, 'scripts', 'test-container.sh')], { timeoutMs: 900_000, env: { CONTAINER_ENGINE_ONLY: '1' } })
  const docker = ran.stdout.trim().split('\n').pop()
  if (ran.code === 0 && docker) return { docker }
  return { reason: `scripts/test-container.sh found no engine (exit ${ran.code}): ${ran.stderr.trim().split('\n').slice(-3).join(' | ')}` }
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

export type Builder = 'default' | 'buildkit' | 'classic'

/**
 * Builds the image from the repository's public Dockerfile with
 * scripts/build-image.sh (`npm run image`): labels from package.json and git,
 * and the CA this host trusts handed to npm as a build argument (outgoing
 * HTTPS may be re-signed by a CA only the host trusts); it never reaches the
 * runtime image. `builder` forces BuildKit or the classic builder; by default
 * the client picks. Builds after the first are mostly cache hits.
 */
export function buildImage (docker: string, tag = IMAGE, builder: Builder = 'default'): Promise<Ran> {
  const env: NodeJS.ProcessEnv = { DOCKER: docker }
  if (builder !== 'default') env.DOCKER_BUILDKIT = builder === 'buildkit' ? '1' : '0'
  return run('bash', [join(ROOT, 'scripts', 'build-image.sh'), '--label', LABEL, '-t', tag], { timeoutMs: 600_000, env })
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
