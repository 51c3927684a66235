import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type CertificateAuthority, createCertificateAuthority, encryptKey, type IssuedCertificate, issueCertificate } from './pki.js'

export const DEMO_USERNAME = 'demo-user'
export const DEMO_PASSWORD = 'demo-password'
export const DEMO_PASSPHRASE = 'demo-passphrase'
export const DEMO_CLIENT_ID = 'demo-client-id'
export const DEMO_CLIENT_SECRET = 'demo-client-secret'

export interface DemoFiles {
  readonly dir: string
  readonly caFile: string
  readonly serverCertFile: string
  readonly serverKeyFile: string
  readonly clientCertFile: string
  /** The client key, encrypted with DEMO_PASSPHRASE, as a real one may be. */
  readonly clientKeyFile: string
  readonly passphraseFile: string
  readonly usernameFile: string
  readonly passwordFile: string
  readonly clientIdFile: string
  readonly clientSecretFile: string
  readonly ca: CertificateAuthority
  readonly server: IssuedCertificate
  readonly client: IssuedCertificate
}

/**
 * The demo mock's identity and credentials: its server certificate, the CA
 * its clients' certificates come from, and the demo's NAPI and OAuth2
 * credentials (startMockUpstream's options; each demo adds its own).
 */
export function demoMockOptions (files: DemoFiles): { cert: string, key: string, clientCa: string, username: string, password: string, clientId: string, clientSecret: string } {
  return {
    cert: files.server.certPem,
    key: files.server.keyPem,
    clientCa: files.ca.certPem,
    username: DEMO_USERNAME,
    password: DEMO_PASSWORD,
    clientId: DEMO_CLIENT_ID,
    clientSecret: DEMO_CLIENT_SECRET
  }
}

/**
 * Writes a throwaway PKI and demo secrets into `dir`: a CA, a server
 * certificate for the mock upstream and a client certificate for the
 * sidecar. `serverNames` are the names the mock can be reached by.
 */
export async function writeDemoFiles (dir: string, serverNames: string[] = ['localhost', '127.0.0.1', '::1']): Promise<DemoFiles> {
  mkdirSync(dir, { recursive: true })
  const notAfter = new Date(Date.now() + 90 * 86_400_000)
  const ca = await createCertificateAuthority('Trulioo Mock CA (throwaway)', notAfter)
  const server = await issueCertificate(ca, { commonName: serverNames[0] ?? 'localhost', altNames: serverNames, usage: 'server', notAfter })
  const client = await issueCertificate(ca, { commonName: 'demo-client.example.com', subjectPrefix: 'C=CA, O=Demo Corp', usage: 'client', notAfter })
  const put = (name: string, text: string, mode = 0o600): string => {
    const path = join(dir, name)
    writeFileSync(path, text, { mode })
    chmodSync(path, mode)
    return path
  }
  return {
    dir,
    caFile: put('ca.pem', ca.certPem, 0o644),
    serverCertFile: put('server.pem', server.certPem, 0o644),
    serverKeyFile: put('server.key', server.keyPem),
    clientCertFile: put('client.pem', client.certPem, 0o644),
    clientKeyFile: put('client.key', encryptKey(client.keyPem, DEMO_PASSPHRASE)),
    passphraseFile: put('passphrase', `${DEMO_PASSPHRASE}\n`),
    usernameFile: put('username', `${DEMO_USERNAME}\n`),
    passwordFile: put('password', `${DEMO_PASSWORD}\n`),
    clientIdFile: put('client-id', `${DEMO_CLIENT_ID}\n`),
    clientSecretFile: put('client-secret', `${DEMO_CLIENT_SECRET}\n`),
    ca,
    server,
    client
  }
}
