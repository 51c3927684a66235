import { CsrInputError } from '../errors.js'
import type { Prompter } from './prompter.js'
import { checkDnsNames, checkField, SUBJECT_FIELDS, type SubjectInput } from './subject-rules.js'

const TRIES = 3
export const MIN_PASSPHRASE_LENGTH = 4

export interface Answers {
  subject: SubjectInput
  /** Undefined when the user chose no passphrase (or one came from a file). */
  passphrase: string | undefined
}

/**
 * Asks for every subject field the flags left out, then the extra DNS names
 * and the passphrase. Each answer is checked as soon as it is given and asked
 * again (three tries) with the reason, so a typo does not cost the others.
 */
export async function askSubject (prompter: Prompter, given: SubjectInput, askPassphrase: boolean): Promise<Answers> {
  const subject: SubjectInput = { ...given }
  for (const field of SUBJECT_FIELDS) {
    if (subject[field.key] !== undefined) continue
    subject[field.key] = await retry(prompter, async () => checkField(field.key, await prompter.ask(`${field.label}: `)))
  }
  if (subject.dnsNames === undefined) {
    const commonName = subject.commonName as string
    subject.dnsNames = await retry(prompter, async () => {
      const answer = await prompter.ask('Extra DNS names for the certificate, separated by spaces (Enter for none): ')
      const names = answer.split(/[\s]+/).filter((n) => n !== '')
      checkDnsNames(commonName, names)
      return names
    })
  }
  const passphrase = askPassphrase ? await retry(prompter, () => askNewPassphrase(prompter)) : undefined
  return { subject, passphrase }
}

async function askNewPassphrase (prompter: Prompter): Promise<string | undefined> {
  const first = await prompter.ask('Passphrase to encrypt the private key with AES-256 (Enter for none): ', { secret: true })
  if (first === '') return undefined
  checkPassphrase('passphrase', first)
  const second = await prompter.ask('The same passphrase again: ', { secret: true })
  if (second !== first) throw new CsrInputError('passphrase', 'the two passphrases differ')
  return first
}

/** A passphrase as OpenSSL would take it: 4 characters or more, one line. */
export function checkPassphrase (field: string, value: string): string {
  if (value.length < MIN_PASSPHRASE_LENGTH) {
    throw new CsrInputError(field, `is shorter than ${MIN_PASSPHRASE_LENGTH} characters`)
  }
  if (/[\r\n]/.test(value)) throw new CsrInputError(field, 'must be a single line')
  return value
}

async function retry<T> (prompter: Prompter, attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt()
    } catch (err) {
      if (!(err instanceof CsrInputError) || err.code !== 'CSR_INPUT_INVALID' || n >= TRIES) throw err
      prompter.say(`  ✘ ${err.message}; try again`)
    }
  }
}
