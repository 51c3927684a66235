import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { baseEnv, startMock } from './helpers/harness.js'
import { filesIn, outDir, SUBJECT_FLAGS } from './helpers/csr.js'

const root = join(import.meta.dirname, '..')
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

t.test('the binary: check exits 0 when every step passes and 1 at a failed step', { skip }, async (t) => {
  const mock = await startMock(t)
  const cwd = outDir(t)
  const good = await run(['check'], await baseEnv(mock), cwd)
  t.equal(good.code, 0, good.stdout + good.stderr)
  t.match(good.stdout, /✔ GET \/connection\/v1\/testauthentication: HTTP 200 "Hello demo-user"/)
  t.notMatch(good.stdout, /\u001b\[/, 'no colour into a pipe')

  const bad = await run(['check', '--json'], { ...await baseEnv(mock), TRULIOO_PASSWORD: 'wrong' }, cwd)
  t.equal(bad.code, 1)
  const report = JSON.parse(bad.stdout) as { ok: boolean, steps: Array<{ id: string, status: string }> }
  t.equal(report.ok, false)
  t.same(report.steps.at(-1), { ...report.steps.at(-1), id: 'auth', status: 'fail' })
})

t.test('the binary: csr without a terminal refuses a missing field with exit 64 and writes nothing', { skip }, async (t) => {
  const empty = outDir(t)
  const refused = await run(['csr', ...SUBJECT_FLAGS.slice(0, 4)], {}, empty)
  t.equal(refused.code, 64)
  t.match(refused.stderr, /--locality: is required/)
  t.same(filesIn(empty), [])
})
