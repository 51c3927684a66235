import { writeFileSync, renameSync } from 'node:fs'
import t from 'tap'
import { watchFiles } from '../../src/identity/watch-files.js'
import { call, client, freePort, pki, startMock, startProxy, waitFor } from '../helpers/harness.js'

t.test('a bad new key or a half-written certificate keeps the old identity serving; a later good write is picked up', async (t) => {
  const p = await pki()
  const stranger = await p.issueClient({ commonName: 'stranger.test.example' })
  const next = await p.issueClient({ commonName: 'next.test.example' })
  const certFile = p.write('reload-cert.pem', p.client.certPem, 0o644)
  const keyFile = p.write('reload-key.pem', p.client.keyPem)
  const mock = await startMock(t)
  const { url, sidecar, logs } = await startProxy(t, mock, { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, ADMIN_PORT: String(await freePort()) })
  const http = client(t)
  const oldSerial = p.client.serialNumber.toUpperCase()
  let reloads = 0
  sidecar.store.on('reload', () => { reloads++ })

  // 1. a key that does not match the certificate
  writeFileSync(keyFile + '.tmp', stranger.keyPem, { mode: 0o600 })
  renameSync(keyFile + '.tmp', keyFile)
  t.ok(await waitFor(() => reloads === 1), 'the change was seen')
  t.equal(sidecar.store.lastReload?.ok, false)
  t.match(sidecar.store.lastReload?.error, /TLS_KEY_FILE: .* does not match the certificate/)
  let res = await call(http, `${url}/__mock/echo`)
  t.equal(res.status, 200, 'still serving')
  t.equal(res.json().clientSerial, oldSerial, 'with the old identity')

  // 2. a certificate file caught half-written
  writeFileSync(certFile, next.certPem.slice(0, 200))
  t.ok(await waitFor(() => reloads === 2), 'the half-written file was seen')
  t.equal(sidecar.store.lastReload?.ok, false)
  res = await call(http, `${url}/__mock/echo`)
  t.equal(res.json().clientSerial, oldSerial, 'the old identity still serves')

  const metrics = await call(http, `${sidecar.adminUrl as string}/metrics`)
  t.match(metrics.text, /sidecar_identity_reloads_total\{outcome="failure"\} 2/)
  const status = (await call(http, `${sidecar.adminUrl as string}/status`)).json()
  t.equal(status.lastReload.outcome, 'failure')
  t.equal(status.certificate.serialNumber, oldSerial)
  const errors = logs.lines.filter((l) => l.level === 'error' && /reload failed/.test(String(l.msg)))
  t.equal(errors.length, 2, 'one clear error line per failed reload')

  // 3. the good pair, written key first then certificate
  writeFileSync(keyFile, next.keyPem)
  writeFileSync(certFile, next.certPem)
  t.ok(await waitFor(() => sidecar.store.lastReload?.ok === true), 'the good write is picked up')
  res = await call(http, `${url}/__mock/echo`)
  t.equal(res.json().clientSerial, next.serialNumber.toUpperCase(), 'the new identity serves')
  t.match((await call(http, `${sidecar.adminUrl as string}/metrics`)).text, /sidecar_identity_reloads_total\{outcome="success"\} 1/)
})

t.test('CERT_WATCH=false ignores file changes', async (t) => {
  const p = await pki()
  const next = await p.issueClient({ commonName: 'ignored.test.example' })
  const certFile = p.write('nowatch-cert.pem', p.client.certPem, 0o644)
  const keyFile = p.write('nowatch-key.pem', p.client.keyPem)
  const mock = await startMock(t)
  const { url, sidecar } = await startProxy(t, mock, { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, CERT_WATCH: 'false' })
  // a witness with the watcher's own mechanism and debounce: once it has seen
  // the change, a watching sidecar would have reloaded by then
  let seen!: () => void
  const witnessed = new Promise<void>((resolve) => { seen = resolve })
  const witness = watchFiles([certFile, keyFile], () => { seen() }, (err) => { t.fail(err.message) })
  t.teardown(() => { witness.close() })
  writeFileSync(keyFile, next.keyPem)
  writeFileSync(certFile, next.certPem)
  await witnessed
  t.equal(sidecar.store.lastReload, undefined, 'no reload happened')
  const res = await call(client(t), `${url}/__mock/echo`)
  t.equal(res.json().clientSerial, p.client.serialNumber.toUpperCase())
})
