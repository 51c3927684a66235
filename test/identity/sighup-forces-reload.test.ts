import { writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { baseEnv, call, client, pki, startMock } from '../helpers/harness.js'
import { portOf, spawnSidecar } from '../helpers/spawn-sidecar.js'

t.test('SIGHUP reloads the identity even with CERT_WATCH=false', async (t) => {
  const p = await pki()
  const next = await p.issueClient({ commonName: 'hup.test.example' })
  const certFile = p.write('hup-cert.pem', p.client.certPem, 0o644)
  const keyFile = p.write('hup-key.pem', p.client.keyPem)
  const mock = await startMock(t)
  const run = spawnSidecar(t, ['serve'], {
    ...await baseEnv(mock), LOG_LEVEL: 'info', CERT_WATCH: 'false', TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile
  })
  const url = `http://127.0.0.1:${portOf(await run.waitForLine(/proxy listening on/))}`
  const http = client(t)
  t.equal((await call(http, `${url}/__mock/echo`)).json().clientSerial, p.client.serialNumber.toUpperCase())

  writeFileSync(keyFile, next.keyPem)
  writeFileSync(certFile, next.certPem)
  await sleep(800)
  t.equal((await call(http, `${url}/__mock/echo`)).json().clientSerial, p.client.serialNumber.toUpperCase(), 'not watched: still the old one')

  run.child.kill('SIGHUP')
  await run.waitForLine(/SIGHUP: identity reloaded/)
  t.equal((await call(http, `${url}/__mock/echo`)).json().clientSerial, next.serialNumber.toUpperCase(), 'the new one after SIGHUP')

  writeFileSync(keyFile, 'not a key')
  run.child.kill('SIGHUP')
  const line = JSON.parse(await run.waitForLine(/SIGHUP: reload failed/)) as { reason: string }
  t.match(line.reason, /TLS_KEY_FILE/)
  t.equal((await call(http, `${url}/__mock/echo`)).json().clientSerial, next.serialNumber.toUpperCase(), 'a failed reload keeps the identity')
  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0)
})
