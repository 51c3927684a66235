import { once } from 'node:events'
import { spawn } from 'node:child_process'
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { createCertificateAuthority } from '../../../src/mock/pki.js'
import { call, client, encryptKey, pki, startMock, startProxy, type Started } from '../../helpers/harness.js'
import { closedPort } from '../../helpers/raw-http.js'
import { BIN, emptyCwd } from '../../helpers/spawn-cli.js'

// Values that must never reach a log line, each unique so a hit is certain.
const USER = 'log-user-Wm4'
const PASSWORD = 'log-password-Jx81'
const PASSPHRASE = 'log-passphrase-Rt27'
const TOKEN = 'log-token-Zb55'
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64')
const WRONG_PASSWORD = 'log-wrong-password-Pd09'
const REQUEST_MARKER = 'request-body-marker-Ny63'
const RESPONSE_MARKER = 'response-body-marker-Gk70'
const SECRETS = [PASSWORD, PASSPHRASE, TOKEN, BASIC, Buffer.from(`${USER}:${WRONG_PASSWORD}`).toString('base64'), WRONG_PASSWORD, REQUEST_MARKER, RESPONSE_MARKER]

function assertClean (t: Test, name: string, text: string): void {
  t.ok(text.length > 0, `${name}: something was logged`)
  for (const secret of SECRETS) t.notOk(text.includes(secret), `${name}: ${secret.slice(0, 12)}… absent`)
}

async function exercise (t: Test, url: string, auth: Record<string, string>): Promise<void> {
  const app = client(t)
  const statuses: number[] = []
  const go = async (path: string, options: Parameters<typeof call>[2] = {}) => {
    const res = await call(app, `${url}${path}`, { ...options, headers: { ...auth, ...(options.headers as Record<string, string> ?? {}) } })
    statuses.push(res.status)
    return res
  }
  await go('/connection/v1/testauthentication')
  await go('/verifications/v1/verify', { method: 'POST', body: JSON.stringify({ FirstName: REQUEST_MARKER }), headers: { 'content-type': 'application/json' } })
  // the echo's body carries this header back: a response body with the marker
  const echo = await go('/__mock/echo', { headers: { 'x-note': RESPONSE_MARKER, cookie: `s=${TOKEN}` } })
  t.match(echo.text, RESPONSE_MARKER, 'the response body held the marker')
  await go('/__mock/status/500', { method: 'POST', body: REQUEST_MARKER })
  await go('/__mock/echo', { method: 'POST', body: `${REQUEST_MARKER}${'z'.repeat(70_000)}` }) // 413 by Content-Length
  await go('/__mock/echo', { method: 'POST', body: Readable.from([Buffer.from(REQUEST_MARKER), Buffer.alloc(70_000)]) }).catch(() => {}) // 413 streamed
  await go('/__mock/hang') // 504
  await go('/__mock/echo', { headers: { 'proxy-authorization': 'Bearer wrong' } }) // 407
  t.ok(statuses.includes(200) && statuses.includes(413) && statuses.includes(504) && statuses.includes(407), `mixed outcomes: ${statuses.join(',')}`)
}

t.test('no secret, credential or body reaches the logs (in process)', async (t) => {
  const p = await pki()
  const mock = await startMock(t, { username: USER, password: PASSWORD })
  const secrets = {
    TRULIOO_USERNAME: USER,
    TRULIOO_PASSWORD: PASSWORD,
    TLS_KEY_FILE: p.write('enc.key', encryptKey(p.client.keyPem, PASSPHRASE)),
    TLS_PASSPHRASE: PASSPHRASE,
    PROXY_AUTH_TOKEN: TOKEN,
    MAX_BODY_BYTES: '65536',
    UPSTREAM_TIMEOUT_MS: '300',
    LOG_LEVEL: 'trace'
  }
  const started: Started[] = []
  const main = await startProxy(t, mock, secrets)
  started.push(main)
  await exercise(t, main.url, { 'proxy-authorization': `Bearer ${TOKEN}` })

  // 401 from the upstream: wrong password
  const wrong = await startProxy(t, mock, { ...secrets, TRULIOO_PASSWORD: WRONG_PASSWORD })
  started.push(wrong)
  const denied = await call(client(t), `${wrong.url}/connection/v1/testauthentication`, { headers: { 'proxy-authorization': `Bearer ${TOKEN}` } })
  t.equal(denied.status, 401)

  // TLS failure: a client certificate from a CA the upstream does not trust
  const stranger = await p.issueClient({}, await createCertificateAuthority('Other CA'))
  const refused = await startProxy(t, mock, {
    ...secrets,
    TLS_CERT_FILE: p.write('s.pem', stranger.certPem),
    TLS_KEY_FILE: p.write('s.key', encryptKey(stranger.keyPem, PASSPHRASE))
  })
  started.push(refused)
  const tls = await call(client(t), `${refused.url}/verifications/v1/verify`, { method: 'POST', body: REQUEST_MARKER, headers: { 'proxy-authorization': `Bearer ${TOKEN}` } })
  t.equal(tls.status, 502)

  // upstream down
  const down = await startProxy(t, mock, { ...secrets, UPSTREAM_URL: `https://127.0.0.1:${await closedPort()}`, TLS_SERVERNAME: 'localhost' })
  started.push(down)
  const unreachable = await call(client(t), `${down.url}/x`, { headers: { 'proxy-authorization': `Bearer ${TOKEN}` } })
  t.equal(unreachable.status, 502)

  for (const [i, s] of started.entries()) {
    assertClean(t, `sidecar ${i}`, s.logs.text)
    t.ok(s.logs.lines.some((line) => line.level === 'trace' || line.level === 'debug' || line.level === 'info'), `sidecar ${i}: logging was on`)
  }
  t.ok(started.some((s) => s.logs.lines.some((line) => ['warn', 'error', 'fatal'].includes(String(line.level)))), 'warnings or errors were logged too')
})

t.test('no secret reaches stdout or stderr of the real binary', async (t) => {
  const p = await pki()
  const mock = await startMock(t, { username: USER, password: PASSWORD })
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    UPSTREAM_URL: mock.url,
    LISTEN_PORT: '0',
    ADMIN_PORT: '0',
    TLS_CERT_FILE: p.clientCertFile,
    TLS_KEY_FILE: p.write('enc2.key', encryptKey(p.client.keyPem, PASSPHRASE)),
    TLS_PASSPHRASE_FILE: p.write('passphrase', `${PASSPHRASE}\n`),
    TLS_CA_FILE: p.caFile,
    TRULIOO_USERNAME_FILE: p.write('user', `${USER}\n`),
    TRULIOO_PASSWORD_FILE: p.write('password', `${PASSWORD}\n`),
    PROXY_AUTH_TOKEN: TOKEN,
    MAX_BODY_BYTES: '65536',
    UPSTREAM_TIMEOUT_MS: '300',
    LOG_LEVEL: 'trace'
  }
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: emptyCwd(t), env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
      const found = /proxy listening on (http:\/\/[^"\s]+)/.exec(stdout)
      if (found?.[1] !== undefined) resolve(found[1])
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)))
  })
  await exercise(t, url, { 'proxy-authorization': `Bearer ${TOKEN}` })
  child.kill('SIGTERM')
  await once(child, 'exit')
  t.equal(child.exitCode, 0, 'drained and exited 0 on SIGTERM')
  assertClean(t, 'stdout', stdout)
  for (const secret of SECRETS) t.notOk(stderr.includes(secret), `stderr: ${secret.slice(0, 12)}… absent`)
  t.ok(stdout.split('\n').filter((line) => line.includes('"msg":"request"')).length >= 8, 'the access lines are there')
})
