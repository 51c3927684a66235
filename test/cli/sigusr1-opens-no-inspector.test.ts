import { spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import t from 'tap'
import { baseEnv, call, client, freePort, startMock, waitFor } from '../helpers/harness.js'
import { portOf, spawnSidecar } from '../helpers/spawn-sidecar.js'

// `kill -USR1 <pid>` makes Node open its inspector, from which anyone allowed
// to signal the process could read the key and passphrase out of memory.
// --inspect-port (allowed in NODE_OPTIONS, and opening nothing by itself)
// moves where the inspector would listen to a port of this test's own.

function listening (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => { resolve(false) })
  })
}

t.test('the probe works: plain node opens its inspector on SIGUSR1', async (t) => {
  const inspectPort = await freePort()
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("ready\\n"); setInterval(() => {}, 1000)'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_OPTIONS: `--inspect-port=${inspectPort}` },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { child.kill('SIGKILL') })
  await once(child.stdout, 'data')
  t.notOk(await listening(inspectPort), 'nothing listens before the signal')
  child.kill('SIGUSR1')
  t.ok(await waitFor(() => listening(inspectPort), 5_000), 'after SIGUSR1 the inspector listens')
})

t.test('kill -USR1 opens nothing: the sidecar keeps serving and no inspector listens', async (t) => {
  const inspectPort = await freePort()
  const mock = await startMock(t)
  const adminPort = await freePort()
  const run = spawnSidecar(t, ['serve'], {
    ...await baseEnv(mock), LOG_LEVEL: 'info', ADMIN_PORT: String(adminPort), NODE_OPTIONS: `--inspect-port=${inspectPort}`
  })
  const proxy = `http://127.0.0.1:${portOf(await run.waitForLine(/proxy listening on/))}`
  await run.waitForLine(/admin listening on/)
  const http = client(t)

  for (let i = 0; i < 3; i++) run.child.kill('SIGUSR1')
  // the inspector, when it starts, takes well under a second (see the probe above)
  t.notOk(await waitFor(() => listening(inspectPort), 1_500), `nothing listens on the inspector port ${inspectPort}`)
  t.notOk(run.stderr.some((line) => /Debugger listening/.test(line)), 'no "Debugger listening" line')
  t.equal(run.child.exitCode, null, 'the sidecar is still running')
  t.equal((await call(http, `http://127.0.0.1:${adminPort}/livez`)).status, 200, '/livez answers')
  t.equal((await call(http, `${proxy}/__mock/echo`)).status, 200, 'requests are served')
  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0)
})
