import t from 'tap'
import { baseEnv, CLIENT_ID, CLIENT_SECRET, startMock } from '../helpers/harness.js'
import { spawnSidecar } from '../helpers/spawn-sidecar.js'
import { type Stall, startStallingTokenEndpoint } from '../helpers/stalling-token-endpoint.js'

// SIGTERM while a token call hangs and no application request is in flight:
// the drain has nothing to wait for, yet closing the token client used to
// wait for that call, so the process sat out the whole grace period and
// exited 1 with "requests still in flight" and inFlight: 0. The token calls
// under way are now abandoned when the sidecar closes, and it exits 0 at once.
// Every timer that could end the call by itself is far longer than this
// test's own timeout, so only the fix can make it pass.
for (const stall of ['connect', 'headers'] as const satisfies readonly Stall[]) {
  t.test(`SIGTERM with a token call hanging at ${stall} and no request in flight: exit 0, not the grace period`, { timeout: 20_000 }, async (t) => {
    const mock = await startMock(t)
    const endpoint = await startStallingTokenEndpoint(t, stall)
    const run = spawnSidecar(t, ['serve'], {
      ...await baseEnv(mock),
      TRULIOO_CLIENT_ID: CLIENT_ID,
      TRULIOO_CLIENT_SECRET: CLIENT_SECRET,
      TOKEN_URL: endpoint.url,
      TOKEN_TIMEOUT_MS: '120000',
      CONNECT_TIMEOUT_MS: '120000',
      SHUTDOWN_GRACE_MS: '60000',
      LOG_LEVEL: 'info'
    })
    await run.waitForLine(/proxy listening on/)
    await endpoint.waitForStalled(2) // /v3/ and /wfs/: one call per scope, both hanging

    run.child.kill('SIGTERM')
    const shutdown = JSON.parse(await run.waitForLine(/shutting down/)) as { inFlight: number }
    t.equal(shutdown.inFlight, 0, 'no application request in flight')
    t.equal(await run.exited, 0, 'exit code 0')
    t.ok(run.stdout.some((l) => /"msg":"stopped"/.test(l)), 'a clean stop')
    t.notOk(run.stdout.some((l) => /still in flight/.test(l)), 'not ended by the grace period')
    t.notOk(run.stdout.some((l) => /not obtained/.test(l)), 'an abandoned call is not reported as a failure')
  })
}
