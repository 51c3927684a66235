import t from 'tap'
import { FakeClock } from '../helpers/fake-clock.js'
import { call, client, startMock, startProxy } from '../helpers/harness.js'
import { identitySetDir, seenSerial } from '../helpers/identity-set-dir.js'
import { REJECTED_RETRY_FIRST_MS } from '../../src/identity/identity-set.js'

// A refused member is offered again after 5 minutes on the injected clock,
// then after 10 (backing off) while the upstream keeps refusing it; once the
// upstream accepts it, it serves again and its refusals are forgotten. No
// request fails on the way. The refusals are counted per serial.
t.test('a refused member is retried on a backoff schedule on the injected clock', async (t) => {
  const mock = await startMock(t, { handshakeAlerts: true })
  const set = await identitySetDir(t, [{ name: 'old', fromDays: -10 }])
  const fresh = await set.add({ name: 'new', fromDays: -1 })
  mock.refuse(fresh.serialNumber, 'access_denied')
  const clock = new FakeClock(Date.now())
  const { sidecar, url } = await startProxy(t, mock, { TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined, TLS_IDENTITIES_DIR: set.root }, { clock })
  const app = client(t)
  const state = (): string | undefined => sidecar.store.memberStatus().find((m) => m.name === 'new')?.state
  const verify = async (): Promise<string | undefined> => {
    const res = await call(app, `${url}/verifications/v1/verify`, { method: 'POST', body: '{}' })
    t.equal(res.status, 200, 'no request fails')
    return mock.requests.at(-1)?.clientSerial
  }

  t.equal(await verify(), seenSerial(set.members.old!.cert), 'refused: the older member served')
  t.equal(state(), 'rejected')
  t.equal(mock.refusals.length, 1)

  await clock.advance(REJECTED_RETRY_FIRST_MS - 1000)
  t.equal(await verify(), seenSerial(set.members.old!.cert))
  t.equal(mock.refusals.length, 1, 'not offered again before 5 minutes')

  await clock.advance(1000)
  t.equal(state(), 'active', 'offered again after 5 minutes')
  t.equal(await verify(), seenSerial(set.members.old!.cert), 'refused again: the older member served')
  t.equal(mock.refusals.length, 2)
  const rejection = sidecar.store.memberStatus().find((m) => m.name === 'new')?.rejection
  t.equal(rejection?.count, 2)
  t.equal((rejection?.until ?? 0) - clock.now(), 2 * REJECTED_RETRY_FIRST_MS, 'the wait doubles')

  mock.accept(fresh.serialNumber)
  await clock.advance(REJECTED_RETRY_FIRST_MS)
  t.equal(state(), 'rejected', 'still waiting out the 10 minutes')
  await clock.advance(REJECTED_RETRY_FIRST_MS)
  t.equal(await verify(), seenSerial(fresh), 'accepted now: the newest member serves')
  t.equal(state(), 'active')
  t.equal(sidecar.store.memberStatus().find((m) => m.name === 'new')?.rejection, undefined, 'its refusals are forgotten')

  const metrics = sidecar.metrics.render()
  t.match(metrics, new RegExp(`trulioo_sidecar_client_certificate_rejections_total\\{serial="${seenSerial(fresh)}"\\} 2`))
  t.match(metrics, new RegExp(`trulioo_sidecar_client_certificate_rejections_total\\{serial="${seenSerial(set.members.old!.cert)}"\\} 0`))
})
