import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import t from 'tap'
import { BIN, emptyCwd } from '../helpers/spawn-cli.js'

// Node 20 and 24 look for `--env-file <path>` anywhere on their command line,
// after the script too (nodejs/node#54232), and read it themselves with no
// bound: `--env-file /dev/zero` grows until memory runs out, a missing file is
// Node's exit 9. The installed command's shebang ends Node's options with `--`,
// so the flag is the sidecar's own, read by readFileSafely: one line, exit 78.
// Run as an installed command runs: the file itself, through its shebang.

interface Run { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

/**
 * Executes BIN through its shebang. The shell only sets a data limit (1 GiB)
 * and execs it, so that a regression (Node reading /dev/zero) fails fast on
 * allocation instead of eating a shared machine's memory until the timeout.
 */
function runBin (args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'ulimit -d 1048576 && exec "$0" "$@"', BIN, ...args], {
      cwd,
      // the node running the tests is the one `/usr/bin/env` finds first
      env: { PATH: [dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(delimiter) },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15_000,
      killSignal: 'SIGKILL'
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8') })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8') })
    child.once('error', reject)
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

t.test('the bin file is executable and runs through its own shebang', async (t) => {
  t.doesNotThrow(() => accessSync(BIN, constants.X_OK), 'executable')
  const run = await runBin(['--version'], emptyCwd(t))
  t.equal(run.code, 0, run.stderr)
  t.match(run.stdout, /^\d+\.\d+\.\d+/)
})

const cases: Array<{ name: string, path: (cwd: string) => string, says: (path: string) => string }> = [
  {
    name: '/dev/zero, which never ends',
    path: () => '/dev/zero',
    says: () => 'trulioo-mtls-sidecar: configuration error: /dev/zero: cannot read the .env file: is a character device, not a regular file\n'
  },
  {
    name: 'a missing file',
    path: (cwd) => join(cwd, 'no-such.env'),
    says: (path) => `trulioo-mtls-sidecar: configuration error: --config-file: cannot read ${path}: no such file\n`
  }
]

for (const row of cases) {
  t.test(`serve --env-file with ${row.name}: the sidecar's own one line and exit 78, not Node's read`, async (t) => {
    const cwd = emptyCwd(t)
    const path = row.path(cwd)
    const run = await runBin(['serve', '--env-file', path], cwd)
    t.equal(run.signal, null, 'exited by itself, within the time bound')
    t.equal(run.code, 78, `exit 78 (${run.stderr.slice(0, 200)})`)
    t.equal(run.stderr, row.says(path), 'exactly the one line')
    t.equal(run.stdout, '')
  })
}
