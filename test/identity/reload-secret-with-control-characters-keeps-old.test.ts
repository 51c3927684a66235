import { once } from 'node:events'
import { renameSync, writeFileSync } from 'node:fs'
import t from 'tap'
import type { ReloadOutcome } from '../../src/identity/identity-store.js'
import { call, client, freePort, pki, startMock, startProxy } from '../helpers/harness.js'

// A secret file rewritten with a CR LF inside is a failed reload like a bad
// certificate: the old key keeps being sent, /status, the metric and the log
// say so, and none of them shows the new value.
t.test('an API key file that gains a CR LF fails the reload; the old key keeps being sent', async (t) => {
  const p = await pki()
  const oldKey = 'old-api-key-Hn4q'
  const newKey = 'new-api-key-Zx9w'
  const keyFile = p.write('reload-api-key', `${oldKey}\n`)
  const mock = await startMock(t, { apiKey: oldKey })
  const { url, sidecar, logs } = await startProxy(t, mock, {
    TRULIOO_API_KEY_FILE: keyFile,
    AUTH_ROUTES: '/selfserve/=api-key,/=basic',
    ADMIN_PORT: String(await freePort())
  })
  const http = client(t)
  t.equal((await call(http, `${url}/selfserve/verify`)).status, 200, 'the old key works')

  const reloaded = once(sidecar.store, 'reload') as Promise<[ReloadOutcome]>
  writeFileSync(`${keyFile}.tmp`, `${newKey}\r\nX-Injected: yes\n`, { mode: 0o600 })
  renameSync(`${keyFile}.tmp`, keyFile)
  const [outcome] = await reloaded
  t.equal(outcome.ok, false, 'the reload failed')
  t.equal(outcome.error, 'TRULIOO_API_KEY_FILE: holds a control character (CR), which no header can carry: look for a stray line break or a Windows line ending inside the file (one trailing newline is dropped)')

  const res = await call(http, `${url}/selfserve/verify`)
  t.equal(res.status, 200, 'requests still succeed, not 500')
  t.equal(mock.requests.at(-1)?.headers['x-trulioo-api-key'], oldKey, 'with the old key')
  t.equal(mock.requests.at(-1)?.headers['x-injected'], undefined, 'and nothing injected')

  const admin = sidecar.adminUrl as string
  t.equal((await call(http, `${admin}/readyz`)).status, 200, 'still ready: the old credentials serve')
  const statusText = (await call(http, `${admin}/status`)).text
  const status = JSON.parse(statusText)
  t.equal(status.lastReload.outcome, 'failure', '/status shows the failed reload')
  t.match(status.lastReload.error, /^TRULIOO_API_KEY_FILE: holds a control character/)
  const metrics = (await call(http, `${admin}/metrics`)).text
  t.match(metrics, /trulioo_sidecar_identity_reloads_total\{outcome="failure"\} 1/, 'counted as a failed reload')
  t.match(metrics, /trulioo_sidecar_identity_reloads_total\{outcome="success"\} 0/)

  const failed = logs.lines.filter((l) => l.level === 'error' && /reload failed/.test(String(l.msg)))
  t.equal(failed.length, 1, 'one error line for the failed reload')
  t.match(failed[0]?.reason, /TRULIOO_API_KEY_FILE/)

  for (const [where, text] of [['log', logs.text], ['/status', statusText], ['/metrics', metrics]] as const) {
    for (const secret of [oldKey, newKey, 'X-Injected']) t.notOk(text.includes(secret), `${where} does not show ${secret}`)
  }
})
