import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../config/load-config.js'
import { getGlobalDispatcher } from 'undici'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, writeDemoFiles } from '../mock/demo-files.js'
import { startMockUpstream } from '../mock/mock-upstream.js'
import { serve } from './serve-command.js'

export interface DemoOptions {
  port: number
  adminPort: number
}

/**
 * Everything on loopback, no Trulioo account needed: a throwaway PKI in a
 * temporary folder, the mock upstream demanding the client certificate and
 * demo credentials (Basic for NAPI v1, OAuth2 tokens from its own token
 * endpoint for NAPI v3), and the sidecar in front of it. Once the sidecar is
 * ready it makes one v1 call and one v3 call through it and shows both.
 */
export async function demo (options: DemoOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'trulioo-mtls-demo-'))
  const cleanup = (): void => { rmSync(dir, { recursive: true, force: true }) }
  process.once('exit', cleanup)
  const files = await writeDemoFiles(dir)
  const mock = await startMockUpstream({
    cert: files.server.certPem,
    key: files.server.keyPem,
    clientCa: files.ca.certPem,
    username: DEMO_USERNAME,
    password: DEMO_PASSWORD,
    clientId: DEMO_CLIENT_ID,
    clientSecret: DEMO_CLIENT_SECRET
  })
  const config = loadConfig({
    envFile: false,
    env: {
      UPSTREAM_URL: mock.url,
      LISTEN_PORT: String(options.port),
      ADMIN_PORT: String(options.adminPort),
      TLS_CERT_FILE: files.clientCertFile,
      TLS_KEY_FILE: files.clientKeyFile,
      TLS_PASSPHRASE_FILE: files.passphraseFile,
      TLS_CA_FILE: files.caFile,
      TRULIOO_USERNAME_FILE: files.usernameFile,
      TRULIOO_PASSWORD_FILE: files.passwordFile,
      TRULIOO_CLIENT_ID_FILE: files.clientIdFile,
      TRULIOO_CLIENT_SECRET_FILE: files.clientSecretFile,
      // the mock is its own token endpoint; with Trulioo it is auth-api.trulioo.com
      TOKEN_URL: `${mock.url}/connect/token`,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info'
    }
  })
  const sidecar = await serve({ config })
  sidecar.proxy.server.once('close', () => { void mock.close() })
  const url = sidecar.proxyUrl
  process.stderr.write([
    '',
    `Demo running. Mock Trulioo upstream (mutual TLS): ${mock.url}`,
    `Throwaway certificates and secrets: ${dir} (deleted on exit)`,
    `Client certificate: ${readFileSync(files.clientCertFile, 'utf8').length} bytes, subject C=CA, O=Demo Corp, CN=demo-client.example.com`,
    '',
    'Paste these into another terminal (no certificate, no credentials):',
    `  curl -s ${url}/connection/v1/testauthentication`,
    `  curl -s -X POST ${url}/verifications/v1/verify -H 'content-type: application/json' -d '{"CountryCode":"CA"}'`,
    `  curl -s ${url}/v3/connection/testauthentication      # NAPI v3: the sidecar adds a Bearer token`,
    '',
    'Stop with Ctrl-C.',
    ''
  ].join('\n'))
  await showCalls(url, () => sidecar.readiness.ready)
}

/** One NAPI v1 call (Basic) and one NAPI v3 call (Bearer) through the same sidecar, as an application would make them. */
async function showCalls (url: string, ready: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ready(); i++) await new Promise((resolve) => setTimeout(resolve, 50))
  for (const [what, path] of [['NAPI v1, Basic injected ', '/connection/v1/testauthentication'], ['NAPI v3, Bearer injected', '/v3/connection/testauthentication']] as const) {
    try {
      const res = await getGlobalDispatcher().request({ origin: url, path, method: 'GET' })
      process.stderr.write(`${what}: GET ${path} -> ${res.statusCode} ${await res.body.text()}\n`)
    } catch (err) {
      process.stderr.write(`${what}: GET ${path} failed: ${(err as Error).message}\n`)
    }
  }
  process.stderr.write('\n')
}
