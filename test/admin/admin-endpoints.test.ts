import t from 'tap'
import { call, client, freePort, PASSWORD, pki, startMock, startProxy, USERNAME } from '../helpers/harness.js'

t.test('livez, readyz, status and metrics describe the sidecar without a secret', async (t) => {
  const mock = await startMock(t)
  const p = await pki()
  const token = 'proxy-token-Xy7-unique'
  const { url, sidecar } = await startProxy(t, mock, { PROXY_AUTH_TOKEN: token, ADMIN_PORT: String(await freePort()) })
  const admin = sidecar.adminUrl as string
  t.ok(admin.startsWith('http://127.0.0.1:'), 'admin listens on loopback by default')
  const http = client(t)
  const auth = { 'proxy-authorization': `Bearer ${token}` }

  for (let i = 0; i < 3; i++) t.equal((await call(http, `${url}/connection/v1/testauthentication`, { headers: auth })).status, 200)
  t.equal((await call(http, `${url}/__mock/status/404`, { headers: auth })).status, 404)
  t.equal((await call(http, `${url}/x`, { method: 'TRACE', headers: auth })).status, 405)

  const live = await call(http, `${admin}/livez`)
  t.equal(live.status, 200)

  const ready = await call(http, `${admin}/readyz`)
  t.equal(ready.status, 200)
  t.same(ready.json().checks.map((c: { name: string, ok: boolean }) => [c.name, c.ok]),
    [['identity', true], ['certificate_valid', true], ['not_draining', true]])

  const status = await call(http, `${admin}/status`)
  t.equal(status.status, 200)
  const s = status.json()
  t.equal(s.upstreamUrl, mock.url)
  t.equal(s.certificate.serialNumber, p.client.serialNumber.toUpperCase())
  t.match(s.certificate.subject, /CN=client\.test\.example/)
  t.match(s.certificate.issuer, /CN=Sidecar Test CA/)
  t.match(s.certificate.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
  t.equal(s.certificate.daysLeft, 0, 'the test certificate lives one day')
  t.type(s.uptimeSeconds, 'number')
  t.equal(s.lastReload, null)
  t.match(s.version, /^\d+\.\d+\.\d+/)

  const metrics = await call(http, `${admin}/metrics`)
  t.equal(metrics.status, 200)
  t.match(metrics.headers['content-type'], /text\/plain/)
  const m = metrics.text
  t.match(m, /trulioo_sidecar_requests_total\{method="GET",status_class="2xx"\} 3/)
  t.match(m, /trulioo_sidecar_requests_total\{method="GET",status_class="4xx"\} 1/)
  t.match(m, /trulioo_sidecar_requests_total\{method="OTHER",status_class="4xx"\} 1/, 'unknown methods fold into OTHER')
  t.match(m, /trulioo_sidecar_errors_total\{code="METHOD_NOT_ALLOWED"\} 1/)
  t.match(m, /trulioo_sidecar_request_duration_seconds_count\{method="GET"\} 4/)
  t.match(m, /trulioo_sidecar_upstream_duration_seconds_count\{method="GET"\} 4/)
  t.match(m, /trulioo_sidecar_requests_in_flight 0/)
  t.match(m, /trulioo_sidecar_upstream_open_connections [1-9]/)
  t.match(m, new RegExp(`trulioo_sidecar_client_certificate_expiration_timestamp_seconds\\{serial="${sidecar.store.identity.info.serialNumber}"\\} ${Math.floor(sidecar.store.identity.info.notAfter.getTime() / 1000)}`))
  t.match(m, /trulioo_sidecar_identity_reloads_total\{outcome="failure"\} 0/)
  t.match(m, /process_cpu_seconds_total/, 'default process metrics are included')
  t.notMatch(m, /__mock|testauthentication/, 'no raw path in a label')

  const basic = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')
  for (const [name, text] of [['status', status.text], ['metrics', m], ['readyz', ready.text]] as const) {
    for (const secret of [PASSWORD, token, basic]) t.notOk(text.includes(secret), `${name} holds no secret`)
    t.notOk(text.includes('PRIVATE KEY'), `${name} holds no key material`)
  }
})

t.test('ADMIN_PORT=0 turns the admin listener off', async (t) => {
  const mock = await startMock(t)
  const { sidecar } = await startProxy(t, mock, { ADMIN_PORT: '0' })
  t.equal(sidecar.adminUrl, undefined)
  t.equal(sidecar.admin, undefined)
})
