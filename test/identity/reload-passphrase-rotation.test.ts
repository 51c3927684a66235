import { writeFileSync } from 'node:fs'
import t from 'tap'
import { call, client, encryptKey, PASSWORD, pki, startMock, startProxy, USERNAME, waitFor } from '../helpers/harness.js'

t.test('a new encrypted key with a new passphrase, and new credentials, are read from their files on reload', async (t) => {
  const p = await pki()
  const next = await p.issueClient({ commonName: 'pass-rotated.test.example' })
  const certFile = p.write('pr-cert.pem', p.client.certPem, 0o644)
  const keyFile = p.write('pr-key.pem', encryptKey(p.client.keyPem, 'first-passphrase'))
  const passFile = p.write('pr-pass', 'first-passphrase\n')
  const userFile = p.write('pr-user', `${USERNAME}\n`)
  const pwFile = p.write('pr-pw', `${PASSWORD}\n`)
  const mock = await startMock(t)
  const { url, sidecar, logs } = await startProxy(t, mock, {
    TLS_CERT_FILE: certFile,
    TLS_KEY_FILE: keyFile,
    TLS_PASSPHRASE_FILE: passFile,
    TRULIOO_USERNAME: undefined,
    TRULIOO_PASSWORD: undefined,
    TRULIOO_USERNAME_FILE: userFile,
    TRULIOO_PASSWORD_FILE: pwFile
  })
  const http = client(t)
  t.equal((await call(http, `${url}/connection/v1/testauthentication`)).status, 200)

  writeFileSync(passFile, 'second-passphrase\n')
  writeFileSync(keyFile, encryptKey(next.keyPem, 'second-passphrase'))
  writeFileSync(certFile, next.certPem)
  writeFileSync(pwFile, 'rotated-password\n')
  t.ok(await waitFor(() => sidecar.store.lastReload?.ok === true), `reloaded: ${sidecar.store.lastReload?.error ?? ''}`)

  const echo = (await call(http, `${url}/__mock/echo`)).json()
  t.equal(echo.clientSerial, next.serialNumber.toUpperCase(), 'the new key, opened with the new passphrase')
  t.equal(echo.headers.authorization, 'Basic ' + Buffer.from(`${USERNAME}:rotated-password`).toString('base64'), 'the new password is injected')
  for (const secret of ['first-passphrase', 'second-passphrase', 'rotated-password']) t.notOk(logs.text.includes(secret), 'no passphrase or password in the log')
})
