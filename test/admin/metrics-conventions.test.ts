import t from 'tap'
import { REQUEST_ERRORS } from '../../src/errors.js'
import { METRICS } from '../../src/admin/metrics.js'
import { call, client, freePort, pki, startMock, startProxy } from '../helpers/harness.js'

// What dashboards and alerts rely on: conventional names, every error code's
// series present from start-up, build_info, and the certificate expiry
// labelled by serial so a rotation shows as a new series.
t.test('metrics follow the conventions from start-up, and a rotation replaces the expiry series', async (t) => {
  const mock = await startMock(t)
  const p = await pki()
  const certFile = p.write('metrics-cert.pem', p.client.certPem, 0o644)
  const keyFile = p.write('metrics-key.pem', p.client.keyPem)
  const { sidecar } = await startProxy(t, mock, { ADMIN_PORT: String(await freePort()), TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, CERT_WATCH: 'false' })
  const http = client(t)
  const scrape = async (): Promise<string> => (await call(http, `${sidecar.adminUrl as string}/metrics`)).text
  const text = await scrape()

  for (const code of Object.keys(REQUEST_ERRORS)) {
    t.match(text, new RegExp(`^trulioo_sidecar_errors_total\\{code="${code}"\\} 0$`, 'm'), `${code} at 0 before any error`)
  }
  t.match(text, new RegExp(`^trulioo_sidecar_build_info\\{version="\\d+\\.\\d+\\.\\d+[^"]*",node="${process.versions.node}"\\} 1$`, 'm'))
  const first = sidecar.store.identity.info
  t.match(text, new RegExp(`^trulioo_sidecar_client_certificate_expiration_timestamp_seconds\\{serial="${first.serialNumber}"\\} ${Math.floor(first.notAfter.getTime() / 1000)}$`, 'm'))
  for (const metric of METRICS) {
    t.match(text, new RegExp(`^# TYPE ${metric.name} ${metric.type}$`, 'm'), `${metric.name} is exposed as a ${metric.type}`)
    if (metric.name.startsWith('trulioo_')) t.ok(metric.name.startsWith('trulioo_sidecar_'), `${metric.name} has the prefix`)
  }
  const exposed = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1])
  t.same(exposed, METRICS.filter((m) => m.name !== 'process_open_fds' || exposed.includes(m.name)).map((m) => m.name), 'nothing exposed that the table does not list')

  const next = await p.issueClient({ commonName: 'rotated.test.example' })
  const { writeFileSync } = await import('node:fs')
  writeFileSync(certFile, next.certPem)
  writeFileSync(keyFile, next.keyPem)
  t.equal(sidecar.store.reload().ok, true, 'the new certificate loaded')
  const after = await scrape()
  const serials = [...after.matchAll(/^trulioo_sidecar_client_certificate_expiration_timestamp_seconds\{serial="([^"]+)"\}/gm)].map((m) => m[1])
  t.same(serials, [sidecar.store.identity.info.serialNumber], 'only the new serial is exposed')
  t.not(serials[0], first.serialNumber)
  t.match(after, /^trulioo_sidecar_identity_reloads_total\{outcome="success"\} 1$/m)
})
