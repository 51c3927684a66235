import { createServer as createHttpServer } from 'node:http'
import { createServer, type Server, type Socket } from 'node:net'
import t from 'tap'
import { runCheck } from '../../src/check/run-check.js'
import type { StepId } from '../../src/check/check-types.js'
import { createCertificateAuthority } from '../../src/mock/pki.js'
import { baseEnv, encryptKey, PASSPHRASE, PASSWORD, pki, startMock, type Teardown } from '../helpers/harness.js'

/** A port on 127.0.0.1 that nothing listens on: bound, then closed. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A loopback server that is not what the check expects; closed after the test. */
async function listen (t: Teardown, server: Server | ReturnType<typeof createHttpServer>): Promise<string> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => { sockets.add(socket) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  }))
  return `https://127.0.0.1:${(server.address() as { port: number }).port}`
}

interface Row {
  name: string
  /** Changes to the environment of a passing check; undefined removes a variable. */
  env: (t: Teardown) => Promise<Record<string, string | undefined>>
  mock?: { maxVersion?: 'TLSv1.2' }
  step: StepId
  detail: RegExp
  advice: RegExp
  exitCode?: number
}

const hour = 3_600_000

const rows: Row[] = [
  {
    name: 'configuration invalid',
    env: async () => ({ TLS_CERT_FILE: undefined }),
    step: 'config',
    detail: /TLS_CERT_FILE: is required/,
    advice: /Fix the settings/,
    exitCode: 78
  },
  {
    name: 'expired certificate',
    env: async () => {
      const p = await pki()
      const old = await p.issueClient({ notBefore: new Date(Date.now() - 48 * hour), notAfter: new Date(Date.now() - 24 * hour) })
      return { TLS_CERT_FILE: p.write('expired.pem', old.certPem), TLS_KEY_FILE: p.write('expired.key', old.keyPem) }
    },
    step: 'certificate',
    detail: /TLS_CERT_FILE: the client certificate \(CN=client\.test\.example\) expired on .* \(1 day ago\)/,
    advice: /Renew it: make a new key and CSR with `trulioo-mtls-sidecar csr`/
  },
  {
    name: 'wrong passphrase',
    env: async () => {
      const p = await pki()
      return { TLS_KEY_FILE: p.write('encrypted.key', encryptKey(p.client.keyPem, PASSPHRASE)), TLS_PASSPHRASE: 'not-the-passphrase' }
    },
    step: 'passphrase',
    detail: /TLS_PASSPHRASE: is wrong: it does not decrypt the private key in /,
    advice: /passphrase chosen when the key was made/
  },
  {
    name: 'encrypted key, no passphrase',
    env: async () => {
      const p = await pki()
      return { TLS_KEY_FILE: p.write('encrypted.key', encryptKey(p.client.keyPem, PASSPHRASE)) }
    },
    step: 'passphrase',
    detail: /TLS_PASSPHRASE: is required: the private key in .* is encrypted/,
    advice: /Set TLS_PASSPHRASE_FILE/
  },
  {
    name: 'mismatched key',
    env: async () => {
      const p = await pki()
      const other = await p.issueClient()
      return { TLS_KEY_FILE: p.write('other.key', other.keyPem) }
    },
    step: 'key-match',
    detail: /TLS_KEY_FILE: .* does not match the certificate in /,
    advice: /private key made together with the CSR/
  },
  {
    name: 'unreachable upstream',
    env: async () => ({ UPSTREAM_URL: `https://127.0.0.1:${await closedPort()}` }),
    step: 'tcp',
    detail: /could not connect: 127\.0\.0\.1:\d+ \(connection refused\)/,
    advice: /Nothing accepts connections there/
  },
  {
    name: 'a plain HTTP server where TLS is expected',
    env: async (t) => ({ UPSTREAM_URL: await listen(t, createHttpServer((_req, res) => res.end('plain'))) }),
    step: 'tls',
    detail: /the TLS handshake with the upstream failed \(ERR_SSL_/,
    advice: /really the mutual-TLS endpoint/
  },
  {
    name: 'an upstream that accepts TCP and never speaks',
    env: async (t) => ({ UPSTREAM_URL: await listen(t, createServer(() => {})), CONNECT_TIMEOUT_MS: '300' }),
    step: 'tls',
    detail: /no TLS handshake within 300 ms/,
    advice: /slow or unreachable/
  },
  {
    name: 'upstream certificate for another name',
    env: async () => ({ TLS_SERVERNAME: 'elsewhere.example' }),
    step: 'tls',
    detail: /does not match the name elsewhere\.example/,
    advice: /names another host than the upstream's certificate/
  },
  {
    name: 'untrusted upstream certificate',
    env: async () => ({ TLS_CA_FILE: undefined }),
    step: 'tls',
    detail: /upstream certificate CN=localhost, issued by CN=Sidecar Test CA: the upstream's certificate is not signed by a trusted CA/,
    advice: /set TLS_CA_FILE to its CA bundle/
  },
  {
    name: 'client certificate from another CA (TLS 1.3)',
    env: async () => wrongCaClient(),
    step: 'client-cert',
    detail: /closed the connection right after the TLSv1\.3 handshake without answering.*: it refused the client certificate/,
    advice: /not issued by Trulioo for this account .* or it was revoked/
  },
  {
    name: 'client certificate from another CA (TLS 1.2)',
    env: async () => wrongCaClient(),
    mock: { maxVersion: 'TLSv1.2' },
    // before TLS 1.3 the server judges the client certificate inside the handshake
    step: 'tls',
    detail: /closed the connection during the TLS handshake: it most likely refused the client certificate/,
    advice: /not issued by Trulioo for this account/
  },
  {
    name: 'wrong credentials',
    env: async () => ({ TRULIOO_PASSWORD: 'wrong-password' }),
    step: 'auth',
    detail: /HTTP 401: the upstream refused the NAPI credentials/,
    advice: /NAPI \(API\) username and password/
  }
]

async function wrongCaClient (): Promise<Record<string, string>> {
  const p = await pki()
  const stranger = await createCertificateAuthority('Some Other CA')
  const client = await p.issueClient({}, stranger)
  return { TLS_CERT_FILE: p.write('stranger.pem', client.certPem), TLS_KEY_FILE: p.write('stranger.key', client.keyPem) }
}

for (const row of rows) {
  t.test(`check fails at the right step: ${row.name}`, async (t) => {
    const mock = await startMock(t, row.mock ?? {})
    const env: Record<string, string | undefined> = { ...await baseEnv(mock), ...await row.env(t) }
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]
    const report = await runCheck({ env: env as NodeJS.ProcessEnv, envFile: false })
    const last = report.steps[report.steps.length - 1]
    t.equal(report.ok, false)
    t.equal(report.exitCode, row.exitCode ?? 1)
    t.equal(last?.id, row.step, JSON.stringify(report.steps, null, 2))
    t.equal(last?.status, 'fail')
    t.match(last?.detail, row.detail)
    t.match(last?.advice, row.advice)
    t.ok(report.steps.slice(0, -1).every((s) => s.status === 'pass' || (s.id === 'egress-proxy' && s.status === 'skip')), 'every step before it passed (the egress proxy step is skipped: there is none)')
    t.ok(report.notRun.length > 0 || row.step === 'round-trip', 'stops at the first failure')
    const shown = JSON.stringify(report)
    for (const secret of [PASSWORD, 'wrong-password', PASSPHRASE, 'not-the-passphrase']) t.notOk(shown.includes(secret), 'no secret in the report')
  })
}
