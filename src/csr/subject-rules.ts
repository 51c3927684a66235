import { CsrInputError } from '../errors.js'
import { COUNTRY_CODE_HINTS, ISO_3166_ALPHA_2 } from './country-codes.js'

/** What a user gives for the CSR subject, before any check. */
export interface SubjectInput {
  country?: string | undefined
  state?: string | undefined
  locality?: string | undefined
  organization?: string | undefined
  commonName?: string | undefined
  dnsNames?: readonly string[] | undefined
}

/** A subject every rule has accepted; `dnsNames` starts with the common name. */
export interface Subject {
  readonly country: string
  readonly state: string
  readonly locality: string
  readonly organization: string
  readonly commonName: string
  readonly dnsNames: readonly string[]
}

/** Characters Trulioo's Customer Portal refuses in any subject field. */
export const FORBIDDEN_CHARACTERS = ['<', '>', '~', '!', '@', '#', '$', '%', '^', '*', '/', '\\', '(', ')', '?', ',', '&'] as const

/** Each subject field: its flag, the prompt's words, and the X.520 upper bound on its length. */
export const SUBJECT_FIELDS = [
  { key: 'country', flag: '--country', label: 'Country (ISO 3166-1 two-letter code, e.g. CA)', max: 2 },
  { key: 'state', flag: '--state', label: 'State or province (full name, e.g. British Columbia)', max: 128 },
  { key: 'locality', flag: '--locality', label: 'City or locality (e.g. Vancouver)', max: 128 },
  { key: 'organization', flag: '--organization', label: 'Organization (legal name of the company)', max: 64 },
  { key: 'commonName', flag: '--common-name', label: 'Common name (a fully qualified domain name, e.g. api.example.com)', max: 64 }
] as const

export type SubjectFieldKey = typeof SUBJECT_FIELDS[number]['key']

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/

/** Checks one subject field and returns its normalized value; throws CsrInputError naming the flag. */
export function checkField (key: SubjectFieldKey, raw: string | undefined): string {
  const field = SUBJECT_FIELDS.find((f) => f.key === key) as typeof SUBJECT_FIELDS[number]
  const value = (raw ?? '').trim()
  if (value === '') throw new CsrInputError(field.flag, 'is required')
  // the wildcard message says more than "must not contain *"
  if (key === 'commonName') return checkDnsName(field.flag, value)
  checkCharacters(field.flag, value)
  if (key === 'country') return checkCountry(value)
  if ([...value].length > field.max) {
    throw new CsrInputError(field.flag, `is ${[...value].length} characters long; at most ${field.max} are allowed`)
  }
  return value
}

/** Checks every field and the extra DNS names; the first problem found is thrown. */
export function checkSubject (input: SubjectInput): Subject {
  const country = checkField('country', input.country)
  const state = checkField('state', input.state)
  const locality = checkField('locality', input.locality)
  const organization = checkField('organization', input.organization)
  const commonName = checkField('commonName', input.commonName)
  const dnsNames = checkDnsNames(commonName, input.dnsNames ?? [])
  return Object.freeze({ country, state, locality, organization, commonName, dnsNames })
}

/** The common name first, then each extra name once (names compare case-insensitively). */
export function checkDnsNames (commonName: string, extra: readonly string[]): string[] {
  const names = [commonName]
  for (const raw of extra) {
    const name = checkDnsName('--dns', raw.trim())
    if (!names.some((n) => n.toLowerCase() === name.toLowerCase())) names.push(name)
  }
  return names
}

function checkCharacters (flag: string, value: string): void {
  const bad = FORBIDDEN_CHARACTERS.filter((c) => value.includes(c))
  if (bad.length > 0) {
    throw new CsrInputError(flag, `must not contain ${bad.map((c) => `"${c}"`).join(' ')}: Trulioo does not accept ${FORBIDDEN_CHARACTERS.join(' ')}`)
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new CsrInputError(flag, 'must not contain control characters')
}

function checkCountry (value: string): string {
  const code = value.toUpperCase()
  if (ISO_3166_ALPHA_2.has(code)) return code
  const hint = COUNTRY_CODE_HINTS[code]
  const suffix = hint === undefined ? ' (for example CA, US, GB)' : `; did you mean ${hint}?`
  throw new CsrInputError('--country', `"${value}" is not an ISO 3166-1 alpha-2 country code${suffix}`)
}

/** A fully qualified domain name: two labels or more, letters in the last, no wildcard, no IP address. */
export function checkDnsName (flag: string, value: string): string {
  if (value.includes('*')) {
    throw new CsrInputError(flag, `"${value}" is a wildcard name; Trulioo issues client certificates for one exact name`)
  }
  checkCharacters(flag, value)
  const name = value.endsWith('.') ? value.slice(0, -1) : value
  const labels = name.split('.')
  const fqdn = name.length <= 253 && labels.length >= 2 && labels.every((l) => LABEL.test(l)) &&
    /^[A-Za-z][A-Za-z0-9-]*$/.test(labels[labels.length - 1] as string)
  if (!fqdn) {
    throw new CsrInputError(flag, `"${value}" is not a fully qualified domain name (like api.example.com: letters, digits and hyphens, two labels or more)`)
  }
  if (name.length > 64 && flag === '--common-name') {
    throw new CsrInputError(flag, `is ${name.length} characters long; a common name holds at most 64 (put longer names in --dns)`)
  }
  return name.toLowerCase()
}
