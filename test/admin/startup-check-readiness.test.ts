import { writeFileSync } from 'node:fs'
import t from 'tap'
import { call, client, freePort, PASSWORD, pki, startMock, startProxy, USERNAME, waitFor } from '../helpers/harness.js'

t.test('STARTUP_CHECK with refused credentials stays not ready, says so, and turns ready once they are fixed', async (t) => {
  const p = await pki()
  const passwordFile = p.write('startup-password', 'wrong-password\n')
  const mock = await startMock(t)
  const { sidecar, logs } = await startProxy(t, mock, {
    STARTUP_CHECK: 'true', TRULIOO_PASSWORD: undefined, TRULIOO_PASSWORD_FILE: passwordFile, ADMIN_PORT: String(await freePort())
  })
  const http = client(t)
  const admin = sidecar.adminUrl as string
  t.ok(await waitFor(() => logs.lines.some((l) => /start-up check failed/.test(String(l.msg)))), 'the failure is logged')
  const line = logs.lines.find((l) => /start-up check failed/.test(String(l.msg)))
  t.equal(line?.refused, 'credentials')
  t.match(line?.msg, /the credentials were refused/)
  const notReady = await call(http, `${admin}/readyz`)
  t.equal(notReady.status, 503)
  t.match(notReady.json().checks.find((c: { name: string }) => c.name === 'startup_check'), { ok: false, detail: /credentials were refused/ })

  writeFileSync(passwordFile, `${PASSWORD}\n`)
  t.ok(await waitFor(async () => (await call(http, `${admin}/readyz`)).status === 200), 'ready after the password file is fixed')
  t.ok(mock.requests.some((r) => r.path === '/connection/v1/testauthentication' && r.headers.authorization === 'Basic ' + Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')))
  t.notOk(logs.text.includes('wrong-password'), 'the refused password is not logged')
})

t.test('STARTUP_CHECK with a refused client certificate says the certificate was refused', async (t) => {
  const p = await pki()
  const { createCertificateAuthority } = await import('../../src/mock/pki.js')
  const otherCa = await createCertificateAuthority('Not Trulioo')
  const stranger = await p.issueClient({ commonName: 'stranger.test.example' }, otherCa)
  const mock = await startMock(t)
  const { sidecar, logs } = await startProxy(t, mock, {
    STARTUP_CHECK: 'true',
    TLS_CERT_FILE: p.write('stranger.pem', stranger.certPem, 0o644),
    TLS_KEY_FILE: p.write('stranger.key', stranger.keyPem)
  })
  t.ok(await waitFor(() => logs.lines.some((l) => /start-up check failed/.test(String(l.msg)))))
  const line = logs.lines.find((l) => /start-up check failed/.test(String(l.msg)))
  t.equal(line?.refused, 'certificate')
  t.match(line?.msg, /client certificate was refused/)
  t.equal(sidecar.lifecycle.startupCheckPassed, false)
})

t.test('STARTUP_CHECK that passes makes the sidecar ready', async (t) => {
  const mock = await startMock(t)
  const { sidecar } = await startProxy(t, mock, { STARTUP_CHECK: 'true', ADMIN_PORT: String(await freePort()) })
  t.ok(await waitFor(() => sidecar.lifecycle.startupCheckPassed === true))
  const ready = await call(client(t), `${sidecar.adminUrl as string}/readyz`)
  t.equal(ready.status, 200)
  t.match(ready.json().checks.find((c: { name: string }) => c.name === 'startup_check'), { ok: true })
})
