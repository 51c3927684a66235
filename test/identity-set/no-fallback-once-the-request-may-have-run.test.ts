import t from 'tap'
import { call, client, startMock, startProxy } from '../helpers/harness.js'
import { identitySetDir } from '../helpers/identity-set-dir.js'

// DESIGN's billable rule: a request that may have reached the upstream's
// application is never sent again. Over TLS 1.2 and 1.3:
// - the upstream accepted the certificate, ran the call, then dropped the
//   connection: one execution, a 502, no member marked refused;
// - a body too large to be held (over 64 KiB, streamed) on a refused
//   member: it cannot be sent again, so the application gets the refusal
//   (nothing ran), the member is marked refused and the next request goes to
//   the member that works.
for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
  t.test(`${maxVersion}: a connection that dies after the request ran is not retried`, async (t) => {
    const mock = await startMock(t, { maxVersion, handshakeAlerts: true })
    const set = await identitySetDir(t, [{ name: 'old', fromDays: -10 }, { name: 'new', fromDays: -1 }])
    const { sidecar, url } = await startProxy(t, mock, { TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined, TLS_IDENTITIES_DIR: set.root })
    const res = await call(client(t), `${url}/__mock/drop`, { method: 'POST', body: '{"a":1}' })
    t.equal(res.status, 502)
    t.equal(mock.requests.filter((r) => r.path === '/__mock/drop').length, 1, 'the upstream ran it once')
    t.same(sidecar.store.memberStatus().map((m) => [m.name, m.state]), [['new', 'active'], ['old', 'standby']], 'no member is marked refused')
    t.same(mock.refusals, [])
  })

  t.test(`${maxVersion}: a streamed body refused in the handshake is answered, not resent`, async (t) => {
    const mock = await startMock(t, { maxVersion, handshakeAlerts: true })
    const set = await identitySetDir(t, [{ name: 'old', fromDays: -10 }])
    const refused = await set.add({ name: 'new', fromDays: -1 })
    mock.refuse(refused.serialNumber, 'certificate_revoked')
    const { sidecar, url } = await startProxy(t, mock, { TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined, TLS_IDENTITIES_DIR: set.root })
    const app = client(t)
    const big = Buffer.alloc(256 * 1024, 0x61)
    const res = await call(app, `${url}/__mock/echo`, { method: 'POST', body: big, headers: { 'content-length': String(big.length) } })
    t.equal(res.status, 502, 'the refusal is the answer')
    t.equal(res.headers['x-sidecar-error'], 'UPSTREAM_TLS_ERROR')
    t.equal(mock.requests.length, 0, 'nothing ran upstream')
    t.equal(sidecar.store.memberStatus().find((m) => m.name === 'new')?.state, 'rejected', 'the refused member is marked')
    const next = await call(app, `${url}/__mock/echo`, { method: 'POST', body: big, headers: { 'content-length': String(big.length) } })
    t.equal(next.status, 200, 'the next request goes to the member that works')
    t.equal(mock.requests.length, 1)
  })
}
