import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Teardown } from './harness.js'
import { BIN } from './root.js'

export { BIN }

export interface Spawned {
  child: ChildProcess
  stdout: string[]
  stderr: string[]
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>
  /** Waits until a stdout line matches, bounded in time. */
  waitForLine (pattern: RegExp, ms?: number): Promise<string>
}

/**
 * Runs the real binary (built by `npm test` before tap) with exactly `env`
 * (plus PATH), in an empty folder so no stray .env is read; `script` runs
 * another entry point instead of the binary.
 */
export function spawnSidecar (t: Teardown, args: string[], env: Record<string, string>, options: { nodeArgs?: string[], script?: string } = {}): Spawned {
  const cwd = mkdtempSync(join(tmpdir(), 'sidecar-cwd-'))
  const child = spawn(process.execPath, [...options.nodeArgs ?? [], options.script ?? BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const stdout: string[] = []
  const stderr: string[] = []
  const waiters: Array<{ pattern: RegExp, resolve: (line: string) => void }> = []
  const collect = (into: string[]) => (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue
      into.push(line)
      for (const w of [...waiters]) if (w.pattern.test(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line) }
    }
  }
  child.stdout?.on('data', collect(stdout))
  child.stderr?.on('data', collect(stderr))
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
    rmSync(cwd, { recursive: true, force: true })
  })
  return {
    child,
    stdout,
    stderr,
    exited,
    waitForLine (pattern, ms = 10_000) {
      const found = [...stdout, ...stderr].find((l) => pattern.test(l))
      if (found !== undefined) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${ms} ms; stderr: ${stderr.join(' | ')}`)), ms)
        waiters.push({ pattern, resolve: (line) => { clearTimeout(timer); resolve(line) } })
        void exited.then(() => { clearTimeout(timer); reject(new Error(`exited before a line matching ${pattern}; stderr: ${stderr.join(' | ')}`)) })
      })
    }
  }
}

/** The port from a "… listening on http://127.0.0.1:PORT" line. */
export function portOf (line: string): number {
  const match = /listening on http:\/\/[^\s"]+:(\d+)/.exec(line)
  if (match === null) throw new Error(`no port in ${line}`)
  return Number(match[1])
}
