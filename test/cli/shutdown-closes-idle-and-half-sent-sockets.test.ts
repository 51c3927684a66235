import { once } from 'node:events'
import net from 'node:net'
import t from 'tap'
import { baseEnv, call, client, startMock, waitFor } from '../helpers/harness.js'
import { portOf, spawnSidecar } from '../helpers/spawn-sidecar.js'

// On SIGTERM a connection that is idle (connected, nothing sent) or has sent
// only part of a request head is closed at once: only requests really in
// flight are waited for. Either kind used to hold the process for the whole
// grace period and make it exit 1 with "requests still in flight", inFlight 0.

async function openSocket (port: number, bytes: string): Promise<{ socket: net.Socket, closed: Promise<unknown> }> {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await once(socket, 'connect')
  if (bytes !== '') socket.write(bytes)
  // a reset is a close too (events.once would reject on the 'error' before it)
  return { socket, closed: new Promise((resolve) => socket.once('close', resolve)) }
}

t.test('SIGTERM closes silent and half-sent connections at once and exits 0 when the real request is done', async (t) => {
  const mock = await startMock(t)
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '30000' })
  const port = portOf(await run.waitForLine(/proxy listening on/))
  const silent = await openSocket(port, '')
  const half = await openSocket(port, 'POST /verifications/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Ty')
  t.teardown(() => { silent.socket.destroy(); half.socket.destroy() })

  const inFlight = call(client(t), `http://127.0.0.1:${port}/__mock/slow/1000`)
  t.ok(await waitFor(() => mock.requests.length === 1), 'a real request is in flight')

  const started = Date.now()
  run.child.kill('SIGTERM')
  await Promise.all([silent.closed, half.closed])
  t.pass('the sidecar closed the silent and the half-sent connection')
  t.equal((await inFlight).status, 200, 'the request in flight got its answer')
  t.equal(await run.exited, 0, 'exit 0, not a grace-period timeout')
  t.ok(Date.now() - started < 10_000, `within a few seconds of the answer, not the 30 s grace period (${Date.now() - started} ms)`)
  t.notOk(run.stdout.some((line) => /grace period over/.test(line)), 'no "requests still in flight" line')
  t.equal(mock.requests.length, 1, 'the half-sent request never reached the upstream')
})

t.test('SIGTERM with only a half-sent head: exit 0 at once', async (t) => {
  const mock = await startMock(t)
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '30000' })
  const port = portOf(await run.waitForLine(/proxy listening on/))
  const half = await openSocket(port, 'GET /connection/v1/testauthentication HTTP/1.1\r\nHo')
  t.teardown(() => { half.socket.destroy() })
  const started = Date.now()
  run.child.kill('SIGTERM')
  await half.closed
  t.equal(await run.exited, 0)
  t.ok(Date.now() - started < 5_000, `promptly (${Date.now() - started} ms)`)
})
