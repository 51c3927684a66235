import { execFileSync } from 'node:child_process'
import { renameSync } from 'node:fs'
import t from 'tap'
import { baseEnv, call, client, freePort, pki, startMock } from '../helpers/harness.js'
import { portOf, spawnSidecar } from '../helpers/spawn-sidecar.js'

// A FIFO put where the certificate was (by mistake, or by someone who wants
// the sidecar to hang) must not freeze the process: reading it would block
// the event loop for good, /livez with it. The watcher's look at the file and
// the reload both refuse it; the old identity keeps serving.
t.test('a FIFO swapped in for the certificate: /livez answers, the reload fails, the old identity serves', async (t) => {
  const p = await pki()
  const certFile = p.write('fifo-swap-cert.pem', p.client.certPem, 0o644)
  const mock = await startMock(t)
  const adminPort = await freePort()
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LOG_LEVEL: 'info', ADMIN_PORT: String(adminPort), TLS_CERT_FILE: certFile })
  const proxy = `http://127.0.0.1:${portOf(await run.waitForLine(/proxy listening on/))}`
  await run.waitForLine(/admin listening on/)
  const admin = `http://127.0.0.1:${adminPort}`
  const http = client(t)
  // a frozen event loop shows as a request that never gets its headers
  const quick = { headersTimeout: 3_000, bodyTimeout: 3_000 }

  const fifo = `${certFile}.fifo`
  execFileSync('mkfifo', [fifo])
  renameSync(fifo, certFile)

  const watched = JSON.parse(await run.waitForLine(/files changed but the reload failed/)) as { reason: string }
  t.match(watched.reason, /TLS_CERT_FILE: cannot read .*fifo-swap-cert\.pem: is a FIFO/, 'the watcher saw the change and the reload refused the FIFO')
  t.equal((await call(http, `${admin}/livez`, quick)).status, 200, '/livez still answers')

  run.child.kill('SIGHUP')
  const hup = JSON.parse(await run.waitForLine(/SIGHUP: reload failed/)) as { reason: string }
  t.match(hup.reason, /is a FIFO/, 'a SIGHUP reload refuses it too')
  t.equal((await call(http, `${admin}/livez`, quick)).status, 200, '/livez still answers after the SIGHUP')

  const echo = await call(http, `${proxy}/__mock/echo`, quick)
  t.equal(echo.status, 200, 'requests are still served')
  t.equal(echo.json().clientSerial, p.client.serialNumber.toUpperCase(), 'with the old identity')
  const status = (await call(http, `${admin}/status`, quick)).json()
  t.equal(status.lastReload.outcome, 'failure', '/status shows the failed reload')

  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0, 'and it still shuts down cleanly')
})
