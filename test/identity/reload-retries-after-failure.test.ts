import { writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { reloadOnChange } from '../../src/identity/reload-on-change.js'
import { createLogger } from '../../src/logger.js'
import { call, client, pki, startMock, startProxy } from '../helpers/harness.js'

t.test('a reload that failed is tried again later: a certificate not valid yet is picked up once it is', async (t) => {
  const p = await pki()
  const early = await p.issueClient({ commonName: 'early.test.example', notBefore: new Date(Date.now() + 2_000) })
  const certFile = p.write('retry-cert.pem', p.client.certPem, 0o644)
  const keyFile = p.write('retry-key.pem', p.client.keyPem)
  const mock = await startMock(t)
  // the sidecar's own watcher is off; this one retries after 300 ms instead of 30 s
  const { url, sidecar } = await startProxy(t, mock, { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, CERT_WATCH: 'false' })
  const watcher = reloadOnChange(sidecar.store, createLogger('silent'), { retryFirstMs: 300, retryMaxMs: 600 })
  t.teardown(() => { watcher.close() })
  const outcomes: boolean[] = []
  sidecar.store.on('reload', (o: { ok: boolean }) => { outcomes.push(o.ok) })

  writeFileSync(keyFile, early.keyPem)
  writeFileSync(certFile, early.certPem)
  const until = Date.now() + 8_000
  while (sidecar.store.lastReload?.ok !== true && Date.now() < until) await sleep(50)

  t.equal(outcomes[0], false, 'the first try failed')
  t.match(sidecar.store.lastReload, { ok: true }, 'a later try succeeded without any new write')
  t.ok(outcomes.length >= 2)
  const echo = (await call(client(t), `${url}/__mock/echo`)).json()
  t.equal(echo.clientSerial, early.serialNumber.toUpperCase())
})
