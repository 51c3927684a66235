import { chmodSync } from 'node:fs'
import t from 'tap'
import { call, client, PASSPHRASE, pki, startMock, startProxy } from '../helpers/harness.js'
import { toPkcs12 } from '../helpers/pkcs12.js'

// As ssh does: a private key others can read is worth a warning, not a refusal.
t.test('a key file readable by group or others gives a warning line and the sidecar still starts', async (t) => {
  const p = await pki()
  const key = p.write('open.key', p.client.keyPem)
  chmodSync(key, 0o644)
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { TLS_KEY_FILE: key })
  const warnings = logs.lines.filter((line) => line.level === 'warn' && /readable by group or others/.test(String(line.msg)))
  t.equal(warnings.length, 1, 'one warning line')
  t.match(String(warnings[0]?.msg), /TLS_KEY_FILE/)
  t.match(String(warnings[0]?.msg), /0644/)
  const res = await call(client(t), `${url}/connection/v1/testauthentication`)
  t.equal(res.status, 200, 'not fatal')
})

t.test('a key file with mode 0600 gives no such warning', async (t) => {
  const mock = await startMock(t)
  const { logs } = await startProxy(t, mock)
  t.equal(logs.lines.filter((line) => /readable by group or others/.test(String(line.msg))).length, 0)
})

t.test('a PKCS#12 file (it holds the key too) readable by others gives the same warning', async (t) => {
  const p = await pki()
  const pfx = p.write('open.p12', toPkcs12(p.client.keyPem, p.client.certPem, PASSPHRASE))
  chmodSync(pfx, 0o640)
  const mock = await startMock(t)
  const { logs } = await startProxy(t, mock, { TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined, TLS_PFX_FILE: pfx, TLS_PASSPHRASE: PASSPHRASE })
  const warnings = logs.lines.filter((line) => line.level === 'warn' && /readable by group or others/.test(String(line.msg)))
  t.equal(warnings.length, 1)
  t.match(String(warnings[0]?.msg), /TLS_PFX_FILE: .*0640/)
  t.equal(warnings[0]?.code, 'KEY_FILE_EXPOSED', 'the warning carries its start-up code')
})
