import { chmodSync } from 'node:fs'
import { writeDemoFiles } from '../mock/demo-files.js'
import { PROGRAM } from './fail.js'

export const DEFAULT_PKI_SERVER_NAMES = ['mock-trulioo', 'localhost', '127.0.0.1']

export interface DemoPkiOptions {
  out: string
  serverName: string[]
  /** Keep the keys and secrets at 0600 (only the user who made them can read them). */
  private?: boolean
}

/**
 * `trulioo-mtls-sidecar demo-pki --out <dir>`: writes the throwaway demo PKI
 * (CA, mock server certificate, client certificate with an encrypted key,
 * passphrase, NAPI username and password) for docker-compose or Kubernetes.
 *
 * Every file is made world-readable (0644) unless --private: compose bind-
 * mounts secret files with their host owner and mode, and the containers run
 * as uid 1000, which is rarely the owner. The sidecar then warns that its key
 * file is readable by others; for this throwaway key that is expected. Real
 * keys: chown them to 1000 and keep 0600 instead.
 */
export async function demoPki (options: DemoPkiOptions): Promise<void> {
  const names = options.serverName.length > 0 ? options.serverName : DEFAULT_PKI_SERVER_NAMES
  const files = await writeDemoFiles(options.out, names)
  const written = [files.caFile, files.serverCertFile, files.serverKeyFile, files.clientCertFile,
    files.clientKeyFile, files.passphraseFile, files.usernameFile, files.passwordFile]
  if (options.private !== true) {
    chmodSync(files.dir, 0o755)
    for (const path of written) chmodSync(path, 0o644)
  }
  process.stdout.write([
    `${PROGRAM} demo-pki: throwaway PKI for server names ${names.join(', ')} written to ${files.dir}:`,
    ...written.map((path) => `  ${path}`),
    options.private === true ? '' : 'mode 0644 so that containers running as another uid can read them: demo use only',
    ''
  ].join('\n'))
}
