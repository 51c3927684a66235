import { chmodSync } from 'node:fs'
import type { Command } from 'commander'
import type { CliIo } from './cli-io.js'
import { PROGRAM } from './fail.js'
import { collect } from './parse-options.js'

export const DEMO_PKI_DESCRIPTION = 'write a throwaway CA, mock server and client certificates and demo credentials into a folder (for docker-compose)'

export const DEFAULT_PKI_SERVER_NAMES = ['mock-trulioo', 'localhost', '127.0.0.1']

export interface DemoPkiOptions {
  out: string
  serverName: string[]
  /** Keep the keys and secrets at 0600 (only the user who made them can read them). */
  private?: boolean
}

export function registerDemoPki (program: Command, io: CliIo): void {
  program.command('demo-pki')
    .description(DEMO_PKI_DESCRIPTION)
    .requiredOption('--out <dir>', 'folder to write into (made if missing)')
    .option('--server-name <name>', 'a name the mock upstream is reached by (repeatable; default mock-trulioo, localhost, 127.0.0.1)', collect, [])
    .option('--private', 'keep keys and secrets at mode 0600 instead of 0644')
    .action(async (opts: DemoPkiOptions) => {
      await demoPki(opts, io)
    })
}

/**
 * `trulioo-mtls-sidecar demo-pki --out <dir>`: writes the throwaway demo PKI
 * (CA, mock server certificate, client certificate with an encrypted key,
 * passphrase, NAPI username and password, OAuth2 client id and secret) for
 * docker-compose or Kubernetes.
 *
 * Every file is made world-readable (0644) unless --private: compose bind-
 * mounts secret files with their host owner and mode, and the containers run
 * as uid 1000, which is rarely the owner. The sidecar then warns that its key
 * file is readable by others; for this throwaway key that is expected. Real
 * keys: chown them to 1000 and keep 0600 instead.
 */
export async function demoPki (options: DemoPkiOptions, io: Pick<CliIo, 'stdout'>): Promise<void> {
  // loaded here, not with the CLI: the PKI code is the heaviest module there is
  const { writeDemoFiles } = await import('../mock/demo-files.js')
  const names = options.serverName.length > 0 ? options.serverName : DEFAULT_PKI_SERVER_NAMES
  const files = await writeDemoFiles(options.out, names)
  const written = [files.caFile, files.serverCertFile, files.serverKeyFile, files.clientCertFile,
    files.clientKeyFile, files.passphraseFile, files.usernameFile, files.passwordFile, files.clientIdFile, files.clientSecretFile]
  if (options.private !== true) {
    chmodSync(files.dir, 0o755)
    for (const path of written) chmodSync(path, 0o644)
  }
  io.stdout.write([
    `${PROGRAM} demo-pki: throwaway PKI for server names ${names.join(', ')} written to ${files.dir}:`,
    ...written.map((path) => `  ${path}`),
    options.private === true ? '' : 'mode 0644 so that containers running as another uid can read them: demo use only',
    ''
  ].join('\n'))
}
