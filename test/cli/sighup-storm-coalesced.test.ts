import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { baseEnv, call, client, freePort, startMock } from '../helpers/harness.js'
import { portOf, spawnSidecar } from '../helpers/spawn-sidecar.js'

// A reload is costly and synchronous. A burst of SIGHUPs (a script in a loop,
// a supervisor gone wrong) is coalesced: at most one reload a second, so 100
// signals within a second make one or two, and /livez stays responsive.
t.test('100 SIGHUPs within a second make one or two reloads; /livez answers throughout', async (t) => {
  const mock = await startMock(t)
  const adminPort = await freePort()
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LOG_LEVEL: 'info', ADMIN_PORT: String(adminPort), CERT_WATCH: 'false' })
  await run.waitForLine(/proxy listening on/)
  portOf(await run.waitForLine(/admin listening on/))
  const http = client(t)
  const livez = `http://127.0.0.1:${adminPort}/livez`
  const reloads = (): number => run.stdout.filter((line) => /SIGHUP: identity reloaded/.test(line)).length

  // ten volleys of ten, 40 ms apart: well within a second, and spread out
  // enough that the kernel delivers most volleys as separate signals
  const slowest: number[] = []
  for (let volley = 0; volley < 10; volley++) {
    for (let i = 0; i < 10; i++) run.child.kill('SIGHUP')
    const started = Date.now()
    const res = await call(http, livez, { headersTimeout: 3_000 })
    slowest.push(Date.now() - started)
    t.equal(res.status, 200, `/livez answers during volley ${volley + 1}`)
    await sleep(40)
  }
  await run.waitForLine(/SIGHUP: identity reloaded/)
  // the coalesced reload, if one was due, comes within the interval; then nothing more
  let seen = reloads()
  for (let quiet = 0; quiet < 3;) {
    await sleep(500)
    if (reloads() === seen) quiet++
    else { seen = reloads(); quiet = 0 }
  }
  t.ok(seen >= 1 && seen <= 2, `one or two reloads for 100 SIGHUPs (${seen})`)
  t.ok(Math.max(...slowest) < 2_000, `/livez never waited long (slowest ${Math.max(...slowest)} ms)`)
  t.equal((await call(http, livez)).status, 200)
  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0)
})
