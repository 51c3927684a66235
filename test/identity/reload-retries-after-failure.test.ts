import { writeFileSync } from 'node:fs'
import t from 'tap'
import { reloadOnChange } from '../../src/identity/reload-on-change.js'
import { createLogger } from '../../src/logger.js'
import { FakeClock } from '../helpers/fake-clock.js'
import { call, client, pki, startMock, startProxy, waitFor } from '../helpers/harness.js'

t.test('a reload that failed is tried again later: a certificate not valid yet is picked up once it is', async (t) => {
  const p = await pki()
  // One clock for the sidecar's validity check and the watcher's backoff, ten
  // seconds behind the real one: the certificate is valid now for the mock
  // upstream (which checks it on the real clock), not yet for the sidecar
  // until the test moves its clock.
  const clock = new FakeClock(Date.now() - 10_000)
  const early = await p.issueClient({ commonName: 'early.test.example', notBefore: new Date() })
  const certFile = p.write('retry-cert.pem', p.client.certPem, 0o644)
  const keyFile = p.write('retry-key.pem', p.client.keyPem)
  const mock = await startMock(t)
  // the sidecar's own watcher is off; this one retries after 300 ms (then 600) instead of 30 s
  const { url, sidecar } = await startProxy(t, mock, { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, CERT_WATCH: 'false' }, { clock })
  const watcher = reloadOnChange(sidecar.store, createLogger('silent'), { retryFirstMs: 300, retryMaxMs: 600, clock })
  t.teardown(() => { watcher.close() })
  const outcomes: boolean[] = []
  sidecar.store.on('reload', (o: { ok: boolean }) => { outcomes.push(o.ok) })

  writeFileSync(keyFile, early.keyPem)
  writeFileSync(certFile, early.certPem)
  // the file event: the one wait on real time (the file system's)
  t.ok(await waitFor(() => outcomes.length > 0), 'the change was seen')
  t.notOk(outcomes.some(Boolean), 'the first try failed: not valid yet')
  const seen = outcomes.length
  await clock.advance(5_000)
  t.notOk(outcomes.some(Boolean), 'still too early for the sidecar\'s clock')
  t.ok(outcomes.length >= seen + 8, 'retried every 300 ms, then every 600 ms (the cap)')
  await clock.advance(10_000)
  t.equal(outcomes.at(-1), true, 'a later try succeeded once notBefore passed, without any new write')
  t.equal(outcomes.filter(Boolean).length, 1, 'and no retry after it')
  t.match(sidecar.store.lastReload, { ok: true })
  const echo = (await call(client(t), `${url}/__mock/echo`)).json()
  t.equal(echo.clientSerial, early.serialNumber.toUpperCase())
})
