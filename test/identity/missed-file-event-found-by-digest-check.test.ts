import { writeFileSync } from 'node:fs'
import t from 'tap'
import { DIGEST_CHECK_MS, reloadOnChange } from '../../src/identity/reload-on-change.js'
import { createLogger } from '../../src/logger.js'
import { FakeClock } from '../helpers/fake-clock.js'
import { call, client, pki, startMock, startProxy } from '../helpers/harness.js'

// File-system events can be missed (overlay and network file systems, inotify
// limits, a watcher that errored). A periodic digest check finds the change
// anyway. Here no events are watched at all, so only the check can see it.
t.test('a change whose file event was missed is picked up by the periodic digest check', async (t) => {
  t.equal(DIGEST_CHECK_MS, 60_000, 'every minute by default')
  const p = await pki()
  const next = await p.issueClient({ commonName: 'missed-event.test.example' })
  const certFile = p.write('missed-cert.pem', p.client.certPem, 0o644)
  const keyFile = p.write('missed-key.pem', p.client.keyPem)
  const mock = await startMock(t)
  // the sidecar's own watcher is off; this one has no file events, and its check runs when the test moves the clock
  const clock = new FakeClock(Date.now())
  const { url, sidecar } = await startProxy(t, mock, { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, CERT_WATCH: 'false' }, { clock })
  const watcher = reloadOnChange(sidecar.store, createLogger('silent'), { fileEvents: false, clock })
  t.teardown(() => { watcher.close() })
  let reloads = 0
  sidecar.store.on('reload', () => { reloads++ })

  await clock.advance(3 * DIGEST_CHECK_MS)
  t.equal(reloads, 0, 'unchanged files cause no reload, check after check')
  writeFileSync(keyFile, next.keyPem)
  writeFileSync(certFile, next.certPem)
  await clock.advance(DIGEST_CHECK_MS - 1)
  t.equal(reloads, 0, 'nothing before the next check')
  await clock.advance(1)
  t.equal(sidecar.store.lastReload?.ok, true, 'the periodic check saw the change and reloaded')
  const echo = (await call(client(t), `${url}/__mock/echo`)).json()
  t.equal(echo.clientSerial, next.serialNumber.toUpperCase(), 'the new identity serves')
})
