import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Teardown } from './harness.js'
import { BIN } from './root.js'

export { BIN }

export interface CliRun { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

/** An empty working directory, so no `.env` is read; removed at teardown. */
export function emptyCwd (t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-cwd-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Runs the real binary (built by `npm test` before tap) with exactly `env`
 * (plus PATH), in `cwd`, and waits for it to exit (killed after `timeoutMs`).
 */
export function runCli (args: string[], env: Record<string, string>, cwd: string, timeoutMs = 15_000): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8') })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
    child.once('error', fail)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      done({ code, signal, stdout, stderr })
    })
  })
}
