import { join } from 'node:path'
import t from 'tap'
import { call, client, pki, startMock, startProxy, waitFor } from '../helpers/harness.js'
import { K8sSecretDir } from '../helpers/k8s-secret-dir.js'

t.test('a certificate rotated through a ..data symlink swap is picked up under load with zero failed requests', async (t) => {
  const p = await pki()
  const next = await p.issueClient({ commonName: 'rotated.test.example' })
  const secret = new K8sSecretDir(join(p.dir, `k8s-${process.pid}`), { 'tls.crt': p.client.certPem, 'tls.key': p.client.keyPem })
  const mock = await startMock(t)
  const { url, sidecar } = await startProxy(t, mock, { TLS_CERT_FILE: secret.path('tls.crt'), TLS_KEY_FILE: secret.path('tls.key') })
  const http = client(t, 64)

  let ok = 0
  const failures: string[] = []
  let stop = false
  const deadline = Date.now() + 15_000
  const worker = async (): Promise<void> => {
    // bounded in count and in time
    for (let i = 0; i < 2_000 && !stop && Date.now() < deadline; i++) {
      try {
        const res = await call(http, `${url}/connection/v1/testauthentication`)
        if (res.status === 200) ok++
        else failures.push(`${res.status} ${res.text}`)
      } catch (err) {
        failures.push((err as Error).message)
      }
    }
  }
  const load = Promise.all(Array.from({ length: 8 }, worker))

  // requests are flowing, then the swap, then requests flow on the new identity
  t.ok(await waitFor(() => ok >= 50), 'requests flow before the swap')
  const before = ok
  secret.update({ 'tls.crt': next.certPem, 'tls.key': next.keyPem })
  t.ok(await waitFor(() => sidecar.store.lastReload !== undefined), 'the swap was seen')
  const atReload = ok
  const newSerial = next.serialNumber.toUpperCase()
  t.ok(await waitFor(() => ok >= atReload + 50 && mock.requests.filter((r) => r.clientSerial === newSerial).length >= 20), 'requests flow on the new identity')
  stop = true
  await load

  t.equal(sidecar.store.lastReload?.ok, true, 'the reload succeeded')
  t.same(failures, [], 'no request failed during the rotation')
  t.ok(before > 0 && ok > before, `requests flowed before and after the swap (${before} then ${ok})`)
  const serials = mock.requests.map((r) => r.clientSerial)
  t.ok(serials.includes(p.client.serialNumber.toUpperCase()), 'the old certificate served first')
  t.equal(serials.at(-1), next.serialNumber.toUpperCase(), 'the upstream sees the new certificate afterwards')
  t.equal(sidecar.store.identity.info.serialNumber, next.serialNumber.toUpperCase())
  t.match(sidecar.metrics.render(), /^trulioo_sidecar_identity_reloads_total\{outcome="success"\} 1$/m)
})
