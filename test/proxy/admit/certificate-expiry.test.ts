import t from 'tap'
import { FakeClock } from '../../helpers/fake-clock.js'
import { call, client, freePort, pki, startMock, startProxy } from '../../helpers/harness.js'

t.test('a certificate expiring within CERT_EXPIRY_WARN_DAYS is warned about at start-up', async (t) => {
  const p = await pki()
  const soon = await p.issueClient({ notAfter: new Date(Date.now() + 10 * 86_400_000 + 3_600_000) })
  const mock = await startMock(t)
  const { logs } = await startProxy(t, mock, {
    TLS_CERT_FILE: p.write('soon.pem', soon.certPem, 0o644), TLS_KEY_FILE: p.write('soon.key', soon.keyPem)
  })
  const warning = logs.lines.find((l) => l.level === 'warn' && /expires in 10 days/.test(String(l.msg)))
  t.ok(warning, 'one warning line')
  t.equal(warning?.daysLeft, 10)

  const { logs: quiet } = await startProxy(t, mock, {
    TLS_CERT_FILE: p.write('soon2.pem', soon.certPem, 0o644), TLS_KEY_FILE: p.write('soon2.key', soon.keyPem), CERT_EXPIRY_WARN_DAYS: '5'
  })
  t.notOk(quiet.lines.some((l) => /expires in/.test(String(l.msg))), 'no warning outside the window')
})

t.test('readiness fails and requests get NOT_READY once the certificate has expired', async (t) => {
  const mock = await startMock(t)
  // the sidecar's clock is the test's: it moves past notAfter without waiting for it
  const clock = new FakeClock(Date.now())
  const { url, sidecar } = await startProxy(t, mock, { ADMIN_PORT: String(await freePort()) }, { clock })
  const http = client(t)
  t.equal((await call(http, `${sidecar.adminUrl as string}/readyz`)).status, 200, 'ready while valid')
  t.equal((await call(http, `${url}/connection/v1/testauthentication`)).status, 200, 'requests pass while valid')
  await clock.advance(sidecar.store.identity.info.notAfter.getTime() + 1_000 - clock.now())
  const after = await call(http, `${sidecar.adminUrl as string}/readyz`)
  t.equal(after.status, 503)
  t.match(after.json().checks.find((c: { name: string }) => c.name === 'certificate_valid'), { ok: false, detail: /expired/ })
  const refused = await call(http, `${url}/connection/v1/testauthentication`)
  t.equal(refused.status, 503)
  t.equal(refused.headers['x-sidecar-error'], 'NOT_READY')
  t.equal(mock.requests.filter((r) => r.path === '/connection/v1/testauthentication').length, 1, 'the refused request never reached the upstream')
})

t.test('the expiry warning comes again each day on the sidecar\'s clock, and counts down with it', async (t) => {
  const p = await pki()
  const clock = new FakeClock(Date.now())
  const soon = await p.issueClient({ notAfter: new Date(clock.now() + 10 * 86_400_000 + 3_600_000) })
  const mock = await startMock(t)
  const { logs, sidecar } = await startProxy(t, mock, {
    TLS_CERT_FILE: p.write('countdown.pem', soon.certPem, 0o644), TLS_KEY_FILE: p.write('countdown.key', soon.keyPem),
    CERT_EXPIRY_WARN_DAYS: '5', CERT_WATCH: 'false', ADMIN_PORT: String(await freePort())
  }, { clock })
  const warnings = (): unknown[] => logs.lines.filter((l) => l.level === 'warn' && /expires in/.test(String(l.msg))).map((l) => l.daysLeft)
  t.same(warnings(), [], 'ten days left: outside the window')
  await clock.advance(5 * 86_400_000)
  t.same(warnings(), [], 'five days left: still outside')
  await clock.advance(86_400_000)
  t.same(warnings(), [4], 'the daily check warns once four days are left')
  await clock.advance(86_400_000)
  t.same(warnings(), [4, 3])
  const status = (await call(client(t), `${sidecar.adminUrl as string}/status`)).json()
  t.equal(status.certificate.daysLeft, 3, '/status counts on the same clock')
  t.equal(status.uptimeSeconds, 7 * 86_400, 'and so does its uptime')
})
