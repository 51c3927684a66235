import { once } from 'node:events'
import net from 'node:net'
import t from 'tap'
import { baseEnv, call, client, freePort, startMock, waitFor } from '../helpers/harness.js'
import { portOf, spawnSidecar } from '../helpers/spawn-sidecar.js'

t.test('SIGTERM: readiness fails at once, slow requests in flight all complete, exit code 0', async (t) => {
  const mock = await startMock(t)
  const adminPort = await freePort()
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LOG_LEVEL: 'debug', ADMIN_PORT: String(adminPort), SHUTDOWN_GRACE_MS: '10000' })
  const port = portOf(await run.waitForLine(/proxy listening on/))
  await run.waitForLine(/admin listening on/)
  const proxy = `http://127.0.0.1:${port}`
  const admin = `http://127.0.0.1:${adminPort}`
  const http = client(t)

  t.equal((await call(http, `${admin}/readyz`)).status, 200, 'ready before')
  const inFlight = Array.from({ length: 5 }, () => call(http, `${proxy}/__mock/slow/1500`))
  await waitFor(() => mock.requests.filter((r) => r.path.startsWith('/__mock/slow')).length === 5, 5_000)
  t.equal(mock.requests.length, 5, 'all five reached the upstream')

  run.child.kill('SIGTERM')
  await run.waitForLine(/shutting down/)
  const during = await call(http, `${admin}/readyz`)
  t.equal(during.status, 503, 'not ready while draining')
  t.match(during.json().checks.find((c: { name: string }) => c.name === 'not_draining'), { ok: false })

  const answers = await Promise.all(inFlight)
  t.same(answers.map((a) => a.status), [200, 200, 200, 200, 200], 'every request in flight completed')
  t.equal(await run.exited, 0, 'exit code 0')
  await t.rejects(call(client(t), `${proxy}/connection/v1/testauthentication`), 'no new connection after exit')
})

t.test('a second signal exits at once', async (t) => {
  const mock = await startMock(t)
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '20000' })
  const port = portOf(await run.waitForLine(/proxy listening on/))
  const pending = call(client(t), `http://127.0.0.1:${port}/__mock/hang`).catch((err: Error) => err)
  await waitFor(() => mock.requests.length > 0, 5_000)
  run.child.kill('SIGTERM')
  await run.waitForLine(/shutting down/)
  const started = Date.now()
  run.child.kill('SIGINT')
  const code = await run.exited
  t.not(code, 0, 'a forced exit is not a clean one')
  t.ok(Date.now() - started < 5_000, 'it did not wait for the grace period')
  t.ok(run.stdout.some((l) => /second signal/.test(l)))
  await pending
})

t.test('SIGTERM closes idle keep-alive connections instead of waiting for them', async (t) => {
  const mock = await startMock(t)
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '20000' })
  const port = portOf(await run.waitForLine(/proxy listening on/))
  // a keep-alive connection that has been answered and now sits idle
  const socket = net.connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write('GET /connection/v1/testauthentication HTTP/1.1\r\nHost: x\r\n\r\n')
  await once(socket, 'data')
  const ended = once(socket, 'close')
  run.child.kill('SIGTERM')
  await ended
  t.pass('the sidecar closed the idle connection')
  // had the idle socket held the listener open, the grace period would end it with exit 1
  t.equal(await run.exited, 0, 'exit code 0, not a grace-period timeout')
})

t.test('SIGHUP during the drain is ignored and the drain still ends with exit 0', async (t) => {
  const mock = await startMock(t)
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '20000' })
  const port = portOf(await run.waitForLine(/proxy listening on/))
  const slow = call(client(t), `http://127.0.0.1:${port}/__mock/slow/1500`)
  await waitFor(() => mock.requests.length > 0, 5_000)
  run.child.kill('SIGTERM')
  await run.waitForLine(/shutting down/)
  run.child.kill('SIGHUP')
  await run.waitForLine(/SIGHUP while shutting down: ignored/)
  t.equal((await slow).status, 200, 'the request in flight completed')
  t.equal(await run.exited, 0)
  t.notOk(run.stdout.some((l) => /identity reloaded/.test(l)), 'no reload happened')
})
