import t from 'tap'
import { FakeClock } from '../helpers/fake-clock.js'
import { call, client, freePort, startMock, startProxy } from '../helpers/harness.js'
import { DAY_MS, identitySetDir, seenSerial } from '../helpers/identity-set-dir.js'

// Selection by validity and notBefore, on the injected clock (the mock judges
// certificates on the same clock): the valid member with the latest notBefore
// serves; expired and not-yet-valid members do not; a member that becomes
// valid takes over new requests while a request already running on the one
// before finishes there. /status and /metrics show each member's state.
t.test('the newest valid member serves, and a member that becomes valid takes over', async (t) => {
  const clock = new FakeClock(Date.now())
  const mock = await startMock(t, { handshakeAlerts: true, now: () => clock.now() })
  const set = await identitySetDir(t, [
    { name: 'a-oldest', fromDays: -20, toDays: 20 },
    { name: 'b-current', fromDays: -5, toDays: 40 },
    { name: 'c-next', fromDays: 2, toDays: 60 },
    { name: 'd-expired', fromDays: -30, toDays: -1 }
  ])
  const { sidecar, url, logs } = await startProxy(t, mock, { TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined, TLS_IDENTITIES_DIR: set.root, ADMIN_PORT: String(await freePort()), CERT_WATCH: 'false' }, { clock })
  const app = client(t)
  const states = async (): Promise<Record<string, string>> => {
    const status = await call(app, `${sidecar.adminUrl as string}/status`)
    return Object.fromEntries(status.json().identities.map((m: { member: string, state: string }) => [m.member, m.state]))
  }
  const serial = (name: string): string => seenSerial(set.members[name]!.cert)

  t.same(await states(), { 'a-oldest': 'standby', 'b-current': 'active', 'c-next': 'not yet valid', 'd-expired': 'expired' })
  const startLine = logs.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('client identity loaded'))
  t.match(startLine, { member: 'b-current', serialNumber: serial('b-current') }, 'the start-up line names the active member')
  t.match(startLine?.msg, /member b-current serves/)

  await call(app, `${url}/__mock/echo`)
  t.equal(mock.requests.at(-1)?.clientSerial, serial('b-current'))

  // a slow request on b's connection, running while c becomes valid
  const slow = call(app, `${url}/__mock/slow/400`)
  await mock.whenRecorded(2)
  await clock.advance(2 * DAY_MS + 60_000)
  t.same(await states(), { 'a-oldest': 'standby', 'b-current': 'standby', 'c-next': 'active', 'd-expired': 'expired' })
  await call(app, `${url}/__mock/echo`)
  t.equal(mock.requests.at(-1)?.clientSerial, serial('c-next'), 'a new request goes with the member that became valid')
  t.equal((await slow).status, 200, 'the request running on the member before finished')
  t.equal(mock.requests.find((r) => r.path === '/__mock/slow/400')?.clientSerial, serial('b-current'))
  t.ok(logs.lines.some((l) => l.msg === 'member c-next now serves new connections (was b-current)'), 'the change is logged')

  const metrics = await call(app, `${sidecar.adminUrl as string}/metrics`)
  for (const [name, state] of [['a-oldest', 'standby'], ['b-current', 'standby'], ['c-next', 'active'], ['d-expired', 'expired']] as const) {
    t.match(metrics.text, `trulioo_sidecar_client_certificate_info{serial="${serial(name)}",member="${name}",state="${state}"} 1`)
    const notAfter = Math.floor(new Date(new (await import('node:crypto')).X509Certificate(set.members[name]!.cert.certPem).validTo).getTime() / 1000)
    t.match(metrics.text, `trulioo_sidecar_client_certificate_expiration_timestamp_seconds{serial="${serial(name)}"} ${notAfter}`, `expiry of ${name}`)
  }

  // everything expires: not ready, and the log says so
  await clock.advance(61 * DAY_MS)
  t.notOk(sidecar.readiness.ready, 'no member valid: not ready')
  t.ok(logs.lines.some((l) => l.level === 'error' && typeof l.msg === 'string' && l.msg.startsWith('no member of the identity set is valid now')))
})
