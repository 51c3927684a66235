import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { call, client, freePort, pki, startMock, startProxy } from './helpers/harness.js'

t.test('a certificate expiring within CERT_EXPIRY_WARN_DAYS is warned about at start-up', async (t) => {
  const p = await pki()
  const soon = await p.issueClient({ notAfter: new Date(Date.now() + 10 * 86_400_000 + 3_600_000) })
  const mock = await startMock(t)
  const { logs } = await startProxy(t, mock, {
    TLS_CERT_FILE: p.write('soon.pem', soon.certPem, 0o644), TLS_KEY_FILE: p.write('soon.key', soon.keyPem)
  })
  const warning = logs.lines.find((l) => l.level === 40 && /expires in 10 days/.test(String(l.msg)))
  t.ok(warning, 'one warning line')
  t.equal(warning?.daysLeft, 10)

  const { logs: quiet } = await startProxy(t, mock, {
    TLS_CERT_FILE: p.write('soon2.pem', soon.certPem, 0o644), TLS_KEY_FILE: p.write('soon2.key', soon.keyPem), CERT_EXPIRY_WARN_DAYS: '5'
  })
  t.notOk(quiet.lines.some((l) => /expires in/.test(String(l.msg))), 'no warning outside the window')
})

t.test('readiness fails and requests get NOT_READY once the certificate has expired', async (t) => {
  const p = await pki()
  const brief = await p.issueClient({ notAfter: new Date(Date.now() + 2_500) })
  const mock = await startMock(t)
  const { url, sidecar } = await startProxy(t, mock, {
    TLS_CERT_FILE: p.write('brief.pem', brief.certPem, 0o644), TLS_KEY_FILE: p.write('brief.key', brief.keyPem), ADMIN_PORT: String(await freePort())
  })
  const http = client(t)
  t.equal((await call(http, `${sidecar.adminUrl as string}/readyz`)).status, 200, 'ready while valid')
  // certificates carry whole seconds: wait until a second past notAfter
  await sleep(Math.max(0, sidecar.store.identity.info.notAfter.getTime() - Date.now() + 1_100))
  const after = await call(http, `${sidecar.adminUrl as string}/readyz`)
  t.equal(after.status, 503)
  t.match(after.json().checks.find((c: { name: string }) => c.name === 'certificate_valid'), { ok: false, detail: /expired/ })
  const refused = await call(http, `${url}/connection/v1/testauthentication`)
  t.equal(refused.status, 503)
  t.equal(refused.headers['x-sidecar-error'], 'NOT_READY')
})
