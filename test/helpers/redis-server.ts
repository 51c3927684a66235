import { type ChildProcess, spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { Redis } from 'ioredis'
import { freePort, type Teardown } from './harness.js'

/**
 * A real redis-server (or valkey-server) per test file, on a UNIX socket in
 * a temporary folder (or on a loopback port), saving nothing to disk, stopped
 * and removed at teardown. `.ci/run` installs Debian's redis-server; where
 * none is found the tests say so: skipped with the reason, or failed under
 * CI=true, where a missing server means a broken install step.
 */
export const REDIS_SERVER = ['redis-server', 'valkey-server'].map(onPath).find((path) => path !== undefined)

/** For `t.test(name, { skip: redisSkip }, …)`: the reason to skip, or false (always false under CI=true). */
export const redisSkip: string | false = REDIS_SERVER !== undefined || process.env.CI === 'true'
  ? false
  : 'no redis-server or valkey-server on PATH (.ci/run installs Debian\'s redis-server; `apt-get install -y redis-server`)'

function onPath (name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, name)
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {}
  }
  return undefined
}

export interface RedisServer {
  /** What IDEMPOTENCY_STORE is set to (without the password). */
  readonly url: string
  readonly password: string | undefined
  /** A plain client for reading what is stored, as an operator with redis-cli would. */
  readonly raw: Redis
  stop (): Promise<void>
  start (): Promise<void>
}

/** `tls`: a TLS port only (rediss://localhost:port), with this certificate and key (PEM files). */
export async function startRedis (t: Teardown, options: { password?: string, tcp?: boolean, tls?: { certFile: string, keyFile: string, caFile: string } } = {}): Promise<RedisServer> {
  if (REDIS_SERVER === undefined) throw new Error('redis-server is not installed (.ci/run installs it: apt-get install -y redis-server)')
  const dir = mkdtempSync(join(tmpdir(), 'redis-'))
  const socket = join(dir, 'redis.sock')
  const port = options.tcp === true || options.tls !== undefined ? await freePort() : 0
  const args = ['--port', options.tls === undefined ? String(port) : '0', '--bind', '127.0.0.1', '--unixsocket', socket, '--unixsocketperm', '700',
    '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', '', '--loglevel', 'notice']
  if (options.password !== undefined) args.push('--requirepass', options.password)
  if (options.tls !== undefined) {
    args.push('--tls-port', String(port), '--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile,
      '--tls-ca-cert-file', options.tls.caFile, '--tls-auth-clients', 'no')
  }
  let child: ChildProcess | undefined
  const start = async (): Promise<void> => {
    const started = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = started
    // a test process that dies before its teardown (a crash, a tap timeout) leaves no server behind
    const orphan = (): void => { started.kill('SIGKILL') }
    process.once('exit', orphan)
    started.once('exit', () => { process.removeListener('exit', orphan) })
    await new Promise<void>((resolve, reject) => {
      let out = ''
      started.stderr?.on('data', (chunk: Buffer) => { out += chunk.toString() })
      started.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (/ready to accept connections/i.test(out)) resolve()
      })
      started.once('exit', (code) => { reject(new Error(`redis-server exited (${String(code)}) before it was ready: ${out.slice(-500)}`)) })
    })
  }
  const stop = async (): Promise<void> => {
    const running = child
    child = undefined
    if (running === undefined || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGTERM')
    await exited
  }
  await start()
  const raw = new Redis({ path: socket, ...(options.password === undefined ? {} : { password: options.password }), lazyConnect: true, maxRetriesPerRequest: 1 })
  raw.on('error', () => {})
  t.teardown(async () => {
    raw.disconnect()
    await stop()
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    url: options.tls !== undefined ? `rediss://localhost:${port}` : options.tcp === true ? `redis://127.0.0.1:${port}` : `unix://${socket}`,
    password: options.password,
    raw,
    stop,
    start
  }
}
