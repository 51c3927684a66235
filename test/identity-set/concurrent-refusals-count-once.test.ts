import t from 'tap'
import { REJECTED_RETRY_FIRST_MS } from '../../src/identity/identity-set.js'
import { FakeClock } from '../helpers/fake-clock.js'
import { call, client, startMock, startProxy } from '../helpers/harness.js'
import { identitySetDir, seenSerial } from '../helpers/identity-set-dir.js'

// One refused connection errors every request queued on it, and each of them
// falls back and reports the refusal: that is one refusal, not one per
// request. With UPSTREAM_CONNECTIONS=1, N concurrent POSTs meet the refused
// member together: each still runs once on the member that works, and the
// refused member gets one warn line, one count on the metric, and the first
// backoff (5 minutes on the injected clock), not the one-hour maximum.
const N = 6

for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
  t.test(`${maxVersion}: ${N} requests refused together count as one refusal`, async (t) => {
    const mock = await startMock(t, { maxVersion, handshakeAlerts: true })
    const set = await identitySetDir(t, [{ name: 'old', fromDays: -10 }])
    const refused = await set.add({ name: 'new', fromDays: -1 })
    mock.refuse(refused.serialNumber, 'certificate_revoked')
    const clock = new FakeClock(Date.now())
    const { sidecar, url, logs } = await startProxy(t, mock, { TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined, TLS_IDENTITIES_DIR: set.root, UPSTREAM_CONNECTIONS: '1' }, { clock })
    const app = client(t)

    const answers = await Promise.all(Array.from({ length: N }, async (_, i) => await call(app, `${url}/__mock/echo`, { method: 'POST', body: `{"n":${i}}` })))
    t.same(answers.map((a) => a.status), Array(N).fill(200), 'no request fails')
    t.equal(mock.requests.filter((r) => r.path === '/__mock/echo').length, N, 'each ran once')
    t.ok(mock.requests.every((r) => r.clientSerial === seenSerial(set.members.old!.cert)), 'on the member that works')
    t.ok(mock.refusals.length >= 1, 'the upstream refused the new member')

    const warns = logs.lines.filter((l) => l.level === 'warn' && typeof l.msg === 'string' && l.msg.includes('refused the client certificate of member new'))
    t.equal(warns.length, 1, 'one warn line')
    t.match(sidecar.metrics.render(), new RegExp(`trulioo_sidecar_client_certificate_rejections_total\\{serial="${seenSerial(refused)}"\\} 1\\n`), 'counted once')
    const rejection = sidecar.store.memberStatus().find((m) => m.name === 'new')?.rejection
    t.equal(rejection?.count, 1, 'one refusal in a row')
    t.equal((rejection?.until ?? 0) - clock.now(), REJECTED_RETRY_FIRST_MS, 'offered again after the first backoff, 5 minutes')

    // the next episode, once the backoff is over, still doubles it
    await clock.advance(REJECTED_RETRY_FIRST_MS)
    const again = await Promise.all(Array.from({ length: N }, async () => await call(app, `${url}/__mock/echo`, { method: 'POST', body: '{}' })))
    t.same(again.map((a) => a.status), Array(N).fill(200))
    const next = sidecar.store.memberStatus().find((m) => m.name === 'new')?.rejection
    t.equal(next?.count, 2, 'a refusal after the backoff is the next one')
    t.equal((next?.until ?? 0) - clock.now(), 2 * REJECTED_RETRY_FIRST_MS, 'the wait doubles once')
  })
}
