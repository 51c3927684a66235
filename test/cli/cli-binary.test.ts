import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { baseEnv, startMock } from '../helpers/harness.js'
import { filesIn, outDir, SUBJECT_FLAGS } from '../helpers/csr.js'
import { ROOT } from '../helpers/root.js'

const root = ROOT
const BIN = join(root, 'bin', 'trulioo-mtls-sidecar.js')
const skip = existsSync(join(root, 'dist', 'cli', 'main.js')) ? false : 'needs npm run build'

/** Runs the real binary without blocking the event loop (the mock upstream lives in this process). */
function run (args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

t.test('the binary: check runs every step, prints one JSON document and exits 0 (no handle left open)', { skip }, async (t) => {
  const mock = await startMock(t)
  const good = await run(['check', '--json'], await baseEnv(mock), outDir(t))
  t.equal(good.code, 0, good.stdout + good.stderr)
  const report = JSON.parse(good.stdout) as { ok: boolean, steps: Array<{ id: string, status: string, detail: string }> }
  t.equal(report.ok, true)
  t.equal(report.steps.length, 11, 'ten steps and the egress proxy step, skipped')
  t.match(report.steps.find((s) => s.id === 'auth')?.detail, /HTTP 200 "Hello demo-user"/)
})

t.test('the binary: csr without a terminal refuses a missing field with exit 64 and writes nothing', { skip }, async (t) => {
  const empty = outDir(t)
  const refused = await run(['csr', ...SUBJECT_FLAGS.slice(0, 4)], {}, empty)
  t.equal(refused.code, 64)
  t.match(refused.stderr, /--locality: is required/)
  t.same(filesIn(empty), [])
})
