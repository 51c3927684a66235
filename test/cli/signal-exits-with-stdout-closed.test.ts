import t from 'tap'
import { request } from 'undici'
import type { MockUpstream } from '../../src/mock/mock-upstream.js'
import { baseEnv, call, client, freePort, startMock, type Teardown, waitFor } from '../helpers/harness.js'
import { portOf, type Spawned, spawnSidecar } from '../helpers/spawn-sidecar.js'

// `demo | head`, or a pino-pretty that died: stdout is a pipe nobody reads.
// The log line a signal writes then meets EPIPE; the process must still exit
// promptly, and a second Ctrl-C must still exit at once. (It used to spin in
// the logger's exit-time flush, retrying the broken pipe forever.)

/** The exit code, or 'still running' once `ms` has passed. */
async function exitWithin (run: Spawned, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<string>((resolve) => { timer = setTimeout(() => resolve('still running'), ms) })
  const outcome = await Promise.race([run.exited, late])
  clearTimeout(timer)
  return outcome
}

async function startWithStdoutClosed (t: Teardown, env: Record<string, string> = {}): Promise<{ run: Spawned, port: number, adminPort: number, mock: MockUpstream }> {
  const mock = await startMock(t)
  const adminPort = await freePort()
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '20000', ADMIN_PORT: String(adminPort), ...env })
  const port = portOf(await run.waitForLine(/proxy listening on/))
  await run.waitForLine(/admin listening on/)
  // the reader goes away; the sidecar's next log line meets a closed pipe
  run.child.stdout?.destroy()
  return { run, port, adminPort, mock }
}

t.test('SIGINT with stdout a closed pipe exits 0 promptly', async (t) => {
  const { run } = await startWithStdoutClosed(t)
  run.child.kill('SIGINT')
  t.equal(await exitWithin(run, 8_000), 0, 'exits 0 within a few seconds, not spinning on EPIPE')
})

t.test('SIGTERM with stdout a closed pipe exits 0 promptly', async (t) => {
  const { run } = await startWithStdoutClosed(t, { LOG_LEVEL: 'debug' })
  run.child.kill('SIGTERM')
  t.equal(await exitWithin(run, 8_000), 0)
})

t.test('with stdout a closed pipe and a request holding the drain, a second Ctrl-C exits at once', async (t) => {
  const { run, port, adminPort, mock } = await startWithStdoutClosed(t)
  const pending = request(`http://127.0.0.1:${port}/__mock/hang`, { dispatcher: client(t) }).catch((err: Error) => err)
  t.ok(await waitFor(() => mock.requests.length === 1), 'a request hangs in flight')
  run.child.kill('SIGINT')
  const admin = client(t)
  t.ok(await waitFor(async () => (await call(admin, `http://127.0.0.1:${adminPort}/readyz`)).status === 503), 'the first Ctrl-C started the drain')
  t.equal(run.child.exitCode, null, 'which the hanging request holds')
  run.child.kill('SIGINT')
  const code = await exitWithin(run, 5_000)
  t.not(code, 'still running', 'the second Ctrl-C exits at once')
  t.not(code, 0, 'and says so with a non-zero code')
  await pending
})
