// What `csr` does once invoked: loaded by csr-command.ts only then.
import { resolve, join } from 'node:path'
import { readSecretFile, describeFsError } from '../config/load-config.js'
import { askSubject, checkPassphrase } from '../csr/ask-subject.js'
import type { CsrKeyType } from '../csr/make-csr.js'
import type { CsrOptions } from './csr-command.js'
import { Prompter } from '../csr/prompter.js'
import { checkDnsName, checkField, checkSubject, type Subject, SUBJECT_FIELDS, type SubjectInput } from '../csr/subject-rules.js'
import { checkOutputs, type OutputPaths, writeOutputs } from '../csr/write-files.js'
import { CsrInputError } from '../errors.js'
import type { CliIo } from './cli-io.js'
import { PROGRAM } from './fail.js'

/** Runs `csr` and returns the exit code; every refusal is one line on stderr. */
export async function runCsr (opts: CsrOptions, io: CliIo): Promise<number> {
  try {
    await csr(opts, io)
    return 0
  } catch (err) {
    if (err instanceof CsrInputError) {
      io.stderr.write(`${PROGRAM} csr: ${err.toLine()}\n`)
      return err.exitCode
    }
    throw err
  }
}

async function csr (opts: CsrOptions, io: CliIo): Promise<void> {
  const given: SubjectInput = {
    country: opts.country,
    state: opts.state,
    locality: opts.locality,
    organization: opts.organization,
    commonName: opts.commonName,
    dnsNames: opts.dns
  }
  const filePassphrase = opts.passphraseFile === undefined ? undefined : passphraseFromFile(opts.passphraseFile)
  const missing = SUBJECT_FIELDS.some((f) => given[f.key] === undefined)
  const prompt = opts.interactive || (missing && io.stdin.isTTY === true)

  let subject: Subject
  let passphrase = filePassphrase
  if (prompt) {
    // Flags given are checked first: no point asking questions before a bad --country is refused,
    // or before a key file in the way is found.
    checkGivenFields(given)
    if (given.commonName !== undefined || (opts.keyOut !== undefined && opts.csrOut !== undefined)) {
      checkOutputs(outputPaths(opts, given.commonName === undefined ? '' : checkField('commonName', given.commonName)), opts.force)
    }
    const prompter = new Prompter({ input: io.stdin, output: io.stderr, terminal: io.stdin.isTTY === true })
    try {
      const answers = await askSubject(prompter, given, filePassphrase === undefined)
      subject = checkSubject(answers.subject)
      passphrase ??= answers.passphrase
    } finally {
      prompter.close()
    }
  } else {
    subject = checkSubject(given)
  }

  const paths = outputPaths(opts, subject.commonName)
  checkOutputs(paths, opts.force)
  // the certificate-building library is loaded only here, when a CSR is made
  const { makeCsr } = await import('../csr/make-csr.js')
  const made = await makeCsr({ subject, keyType: opts.keyType, passphrase })
  writeOutputs(paths, made.keyPem, made.csrPem, opts.force)
  io.stdout.write(nextSteps(paths, subject, opts.keyType, made.encrypted))
}

function checkGivenFields (given: SubjectInput): void {
  for (const field of SUBJECT_FIELDS) {
    const value = given[field.key]
    if (value !== undefined) checkField(field.key, value)
  }
  for (const name of given.dnsNames ?? []) checkDnsName('--dns', name)
}

function passphraseFromFile (path: string): string {
  let value: string
  try {
    value = readSecretFile(path)
  } catch (err) {
    throw new CsrInputError('--passphrase-file', `cannot read ${path}: ${describeFsError(err)}`)
  }
  return checkPassphrase('--passphrase-file', value)
}

function outputPaths (opts: CsrOptions, commonName: string): OutputPaths {
  return {
    keyFile: resolve(opts.keyOut ?? join(opts.outDir, `${commonName}.key`)),
    csrFile: resolve(opts.csrOut ?? join(opts.outDir, `${commonName}.csr`))
  }
}

function nextSteps (paths: OutputPaths, subject: Subject, keyType: CsrKeyType, encrypted: boolean): string {
  const kind = keyType === 'rsa' ? 'RSA 2048' : 'EC P-256'
  const subjectLine = `C=${subject.country}, ST=${subject.state}, L=${subject.locality}, O=${subject.organization}, CN=${subject.commonName}`
  return [
    `✔ private key: ${paths.keyFile} (${kind}, ${encrypted ? 'encrypted with AES-256' : 'not encrypted'}, mode 0600)`,
    `✔ CSR:         ${paths.csrFile}`,
    `  subject:     ${subjectLine}`,
    `  DNS names:   ${subject.dnsNames.join(', ')}`,
    '',
    'Next steps:',
    `  1. Upload ${paths.csrFile} in the Trulioo Customer Portal, then download the certificate Trulioo issues for it.`,
    '     The private key never leaves this machine: keep it, back it up, do not send it to anyone.',
    '  2. Point the sidecar at both files:',
    '       export TLS_CERT_FILE=/path/to/the/downloaded/certificate.pem',
    `       export TLS_KEY_FILE=${paths.keyFile}`,
    ...(encrypted ? ['       export TLS_PASSPHRASE_FILE=/path/to/a/file/holding/the/passphrase'] : []),
    '       export TRULIOO_USERNAME_FILE=... TRULIOO_PASSWORD_FILE=...   (your NAPI credentials)',
    `  3. Run \`${PROGRAM} check\`: it walks the whole chain and says what to fix.`,
    `  4. Run \`${PROGRAM} serve\`.`,
    ''
  ].join('\n')
}
