import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../config/load-config.js'
import { DEMO_PASSWORD, DEMO_USERNAME, writeDemoFiles } from '../mock/demo-files.js'
import { startMockUpstream } from '../mock/mock-upstream.js'
import { serve } from './serve-command.js'

export interface DemoOptions {
  port: number
  adminPort: number
}

/**
 * Everything on loopback, no Trulioo account needed: a throwaway PKI in a
 * temporary folder, the mock upstream demanding the client certificate and
 * demo credentials, and the sidecar in front of it.
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
    password: DEMO_PASSWORD
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
    '',
    'Stop with Ctrl-C.',
    ''
  ].join('\n'))
}
