import { type Command, Option } from 'commander'
import type { CsrKeyType } from '../csr/make-csr.js'
import type { CliIo } from './cli-io.js'

export interface CsrOptions {
  country?: string
  state?: string
  locality?: string
  organization?: string
  commonName?: string
  dns?: string[]
  keyType: CsrKeyType
  passphraseFile?: string
  outDir: string
  keyOut?: string
  csrOut?: string
  force: boolean
  interactive: boolean
}

export const CSR_DESCRIPTION = 'make a private key and a certificate signing request (CSR) to upload to the Trulioo Customer Portal'

export function registerCsr (program: Command, io: CliIo): void {
  program.command('csr')
    .description(CSR_DESCRIPTION)
    .option('--country <code>', 'ISO 3166-1 two-letter country code, e.g. CA')
    .option('--state <name>', 'state or province, in full')
    .option('--locality <name>', 'city or locality')
    .option('--organization <name>', 'legal name of the organization')
    .option('--common-name <fqdn>', 'fully qualified domain name the certificate is for (no wildcard)')
    .option('--dns <name...>', 'extra DNS names for the subject alternative names')
    .addOption(new Option('--key-type <type>', 'rsa (2048 bits) or ec (P-256)').choices(['rsa', 'ec']).default('rsa'))
    .option('--passphrase-file <path>', 'encrypt the key with AES-256 using the passphrase in this file')
    .option('--out-dir <dir>', 'folder for the key and the CSR', '.')
    .option('--key-out <path>', 'key file (default: <out-dir>/<common name>.key)')
    .option('--csr-out <path>', 'CSR file (default: <out-dir>/<common name>.csr)')
    .option('--force', 'replace existing key and CSR files', false)
    .option('--interactive', 'ask for missing fields and a passphrase even when stdin is not a terminal (answers one per line)', false)
    .addHelpText('after', `
When stdin is a terminal, every subject field not given as a flag is asked
for, then extra DNS names and a passphrase (typed without echo; Enter for none).
With every field given as flags nothing is asked: use --passphrase-file for an
encrypted key. Nothing is written until every answer has been accepted.

Exit code 0 when the key and the CSR were written, 64 when an answer or an
option is refused or the prompt is ended, 73 when the key or CSR file already
exists and --force was not given; nothing is written unless the code is 0.`)
    .action(async (opts: CsrOptions) => {
      // the subject rules, the prompter and the key library load only when `csr` runs
      const { runCsr } = await import('./csr-run.js')
      io.setExitCode(await runCsr(opts, io))
    })
}

