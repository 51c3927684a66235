import t from 'tap'
import { FakeClock } from '../helpers/fake-clock.js'
import { DecoratorHandler, request } from 'undici'
import { call, client, PASSWORD, startMock, startProxy, USERNAME } from '../helpers/harness.js'
import { DAY_MS, identitySetDir, type MemberSpec, seenSerial } from '../helpers/identity-set-dir.js'
import { createCertificateAuthority } from '../../src/mock/pki.js'

// The newest member ("new") is refused by the upstream in the handshake, each
// way a server refuses a client certificate; the request must run exactly once,
// on the older member, the application must see no failure, and "new" must be
// marked rejected. Over TLS 1.2 (the refusal fails the handshake) and TLS 1.3
// (the refusal comes after undici has written the request).
const otherCa = createCertificateAuthority('Some Other CA')

interface Row {
  alert: string
  /** The refused member; "old" is always valid and accepted. */
  member: () => Promise<Omit<MemberSpec, 'name'>>
  /** The sidecar's clock, in days from now: where both members are valid to it. */
  clockDays?: number
  /** Makes the upstream refuse the member (after it was issued). */
  refuse?: (mock: Awaited<ReturnType<typeof startMock>>, serial: string) => Promise<void>
}

const rows: Row[] = [
  { alert: 'certificate revoked', member: async () => ({ fromDays: -1 }), refuse: async (mock, serial) => { mock.refuse(serial, 'certificate_revoked') } },
  { alert: 'access denied', member: async () => ({ fromDays: -1 }), refuse: async (mock, serial) => { mock.refuse(serial, 'access_denied') } },
  { alert: 'unknown ca', member: async () => ({ fromDays: -1, from: await otherCa }) },
  // valid to the sidecar's clock (2 days ago), expired to the upstream's
  { alert: 'certificate expired', member: async () => ({ fromDays: -3, toDays: -1 }), clockDays: -2 },
  // valid to the sidecar's clock (2 days ahead), not yet valid to the upstream's: OpenSSL says bad_certificate
  { alert: 'bad certificate', member: async () => ({ fromDays: 1, toDays: 3 }), clockDays: 2 },
  // issued for servers only
  { alert: 'unsupported certificate', member: async () => ({ fromDays: -1, usage: 'server' }) }
]

for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
  for (const row of rows) {
    t.test(`${maxVersion}: ${row.alert}`, async (t) => {
      const mock = await startMock(t, { maxVersion, handshakeAlerts: true })
      const set = await identitySetDir(t, [{ name: 'old', fromDays: -10, toDays: 10 }])
      const refusedCert = await set.add({ name: 'new', ...await row.member() })
      await row.refuse?.(mock, refusedCert.serialNumber)
      const clock = new FakeClock(Date.now() + (row.clockDays ?? 0) * DAY_MS)
      const { sidecar, url, logs } = await startProxy(t, mock, { TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined, TLS_IDENTITIES_DIR: set.root }, { clock })
      t.equal(sidecar.store.order()[0]?.source.name, 'new', 'the newest valid member is active at first')
      const app = client(t)

      const res = await call(app, `${url}/verifications/v1/verify`, { method: 'POST', body: '{"CountryCode":"CA"}', headers: { 'content-type': 'application/json' } })
      t.equal(res.status, 200, 'the application sees no failure')
      const verify = mock.requests.filter((r) => r.path === '/verifications/v1/verify')
      t.equal(verify.length, 1, 'the upstream ran the call once')
      t.equal(verify[0]?.clientSerial, seenSerial(set.members.old?.cert as never), 'on the older member')
      const access = logs.lines.find((l) => l.msg === 'request' && l.path === '/verifications/v1/verify')
      t.match(access, { status: 200, bytesIn: '{"CountryCode":"CA"}'.length }, 'one access line, the body counted once')

      const status = Object.fromEntries(sidecar.store.memberStatus().map((m) => [m.name, m]))
      t.equal(status.new?.state, 'rejected')
      t.equal(status.new?.rejection?.alert, row.alert, 'the alert is named')
      t.equal(status.old?.state, 'active', 'the older member serves meanwhile')
      const warn = logs.lines.find((l) => l.level === 'warn' && typeof l.msg === 'string' && l.msg.includes('refused the client certificate of member new'))
      t.ok(warn, 'a warn line says so')
      t.ok(sidecar.readiness.ready, 'still ready')

      // the next request goes straight to the member that works
      const again = await call(app, `${url}/verifications/v1/verify`, { method: 'POST', body: '{}' })
      t.equal(again.status, 200)
      t.equal(mock.requests.filter((r) => r.path === '/verifications/v1/verify').length, 2)
    })
  }
}

// The dispatcher wrappers are becoming undici interceptors (the controller
// handler API of undici 7 and 8): the fallback serves a handler of either API.
for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
  t.test(`${maxVersion}: through an interceptor (controller handler API)`, async (t) => {
    const mock = await startMock(t, { maxVersion, handshakeAlerts: true })
    const set = await identitySetDir(t, [{ name: 'old', fromDays: -10 }])
    const refused = await set.add({ name: 'new', fromDays: -1 })
    mock.refuse(refused.serialNumber, 'bad_certificate')
    const { sidecar } = await startProxy(t, mock, { TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined, TLS_IDENTITIES_DIR: set.root })
    let wrapped = 0
    const intercepted = sidecar.pool.dispatcher.compose((dispatch) => (options, handler) => {
      wrapped++
      // DecoratorHandler shows undici's controller API (onRequestStart, onResponseStart, …)
      return dispatch(options, new DecoratorHandler(handler as never) as never)
    })
    const res = await request(`${mock.url}/verifications/v1/verify`, { dispatcher: intercepted, method: 'POST', body: '{}', headers: { authorization: `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}` } })
    t.equal(res.statusCode, 200)
    await res.body.text()
    t.equal(wrapped, 1)
    t.equal(mock.requests.length, 1, 'run once')
    t.equal(mock.requests[0]?.clientSerial, seenSerial(set.members.old!.cert), 'on the member that works')
    t.equal(sidecar.store.memberStatus().find((m) => m.name === 'new')?.state, 'rejected')
  })
}
