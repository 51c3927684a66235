import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto'
import { statSync } from 'node:fs'
import tls from 'node:tls'
import { describeFsError, readFileSafely } from '../config/read-file-safely.js'
import type { Config } from '../config/schema.js'
import { ConfigError } from '../errors.js'
import { PEM_CERT, pemCertificates } from '../tls-trust.js'

/**
 * The stages of loading a client identity, each a function that throws a
 * ConfigError with its start-up code (src/errors.ts) at the first problem.
 * load-identity.ts runs them in one order for `serve` (and reloads) and for
 * `check`, so both say the same thing about the same files. No message ever
 * holds a secret.
 */

/** The certificate file's chain, leaf first. */
export interface Chain {
  readonly path: string
  readonly pems: readonly string[]
  readonly leaf: X509Certificate
}

/** Stage 1 (PEM): read TLS_CERT_FILE and parse its leaf certificate. */
export function readChain (config: Config): Chain {
  const path = config.TLS_CERT_FILE as string
  const pems = readText('TLS_CERT_FILE', path).match(PEM_CERT)
  if (pems === null) throw new ConfigError('TLS_CERT_FILE', `${path} holds no PEM certificate`, { code: 'CERT_INVALID' })
  try {
    return { path, pems, leaf: new X509Certificate(pems[0] as string) }
  } catch {
    throw new ConfigError('TLS_CERT_FILE', `${path} holds a certificate that does not parse`, { code: 'CERT_INVALID' })
  }
}

/** The private key, decrypted. */
export interface OpenedKey {
  readonly path: string
  readonly key: KeyObject
  /** Whether the file held it encrypted (a passphrase was needed). */
  readonly encrypted: boolean
}

/** Stage 2 (PEM): read TLS_KEY_FILE and decrypt it with TLS_PASSPHRASE when it is encrypted. */
export function openKey (config: Config): OpenedKey {
  const path = config.TLS_KEY_FILE as string
  const text = readText('TLS_KEY_FILE', path)
  const encrypted = /ENCRYPTED/.test(text)
  const passphrase = config.TLS_PASSPHRASE
  if (encrypted && passphrase === undefined) {
    throw new ConfigError('TLS_PASSPHRASE', `is required: the private key in ${path} is encrypted`, { code: 'PASSPHRASE_REQUIRED' })
  }
  try {
    return { path, key: createPrivateKey({ key: text, format: 'pem', ...(encrypted ? { passphrase } : {}) }), encrypted }
  } catch (err) {
    if (encrypted) throw new ConfigError('TLS_PASSPHRASE', `is wrong: it does not decrypt the private key in ${path}`, { code: 'PASSPHRASE_WRONG' })
    throw new ConfigError('TLS_KEY_FILE', `${path} holds no readable PEM private key (${opensslReason(err)})`, { code: 'KEY_INVALID' })
  }
}

/** Stage 3 (PEM): the key is the certificate's. */
export function matchKey (chain: Chain, opened: OpenedKey): void {
  if (!chain.leaf.checkPrivateKey(opened.key)) {
    throw new ConfigError('TLS_KEY_FILE', `${opened.path} does not match the certificate in ${chain.path}`, { code: 'KEY_MISMATCH' })
  }
}

/** Stage 4: the certificate is within its validity at `now`. `subject` is the variable naming the file. */
export function checkValidity (cert: X509Certificate, subject: string, now: Date): void {
  const name = oneLine(cert.subject)
  const notAfter = new Date(cert.validTo)
  const notBefore = new Date(cert.validFrom)
  if (now.getTime() > notAfter.getTime()) {
    const ago = Math.floor((now.getTime() - notAfter.getTime()) / 86_400_000)
    const when = ago === 0 ? 'today' : ago === 1 ? '1 day ago' : `${ago} days ago`
    throw new ConfigError(subject, `the client certificate (${name}) expired on ${notAfter.toISOString()} (${when})`, { code: 'CERT_EXPIRED' })
  }
  if (now.getTime() < notBefore.getTime()) {
    throw new ConfigError(subject, `the client certificate (${name}) is not valid before ${notBefore.toISOString()}`, { code: 'CERT_NOT_YET_VALID' })
  }
}

/**
 * Stage 5: a file holding the private key that group or others can read is
 * worth a warning, not a refusal (as ssh has it for a client key, and a
 * Kubernetes Secret volume is 0644 unless told otherwise). Returned, not thrown.
 */
export function keyFileMode (variable: 'TLS_KEY_FILE' | 'TLS_PFX_FILE', path: string): ConfigError | undefined {
  let mode: number
  try {
    mode = statSync(path).mode & 0o777
  } catch {
    // an unreadable file is reported by the read that follows
    return undefined
  }
  if ((mode & 0o077) === 0) return undefined
  return new ConfigError(variable, `${path} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 it`, { code: 'KEY_FILE_EXPOSED' })
}

/** The certificates TLS_CA_FILE adds to the built-in roots, each checked to parse; undefined without it. */
export function readTrust (config: Config): string[] | undefined {
  const path = config.TLS_CA_FILE
  if (path === undefined) return undefined
  const found = pemCertificates(readText('TLS_CA_FILE', path))
  if (found === 'none') throw new ConfigError('TLS_CA_FILE', `${path} holds no PEM certificate`, { code: 'CA_FILE_INVALID' })
  if (found === 'unparsable') throw new ConfigError('TLS_CA_FILE', `${path} holds a certificate that does not parse`, { code: 'CA_FILE_INVALID' })
  return found
}

/** Reads TLS_PFX_FILE (a PKCS#12 file is opened by OpenSSL when the context is built: see openPkcs12). */
export function readPkcs12 (config: Config): Buffer {
  const path = config.TLS_PFX_FILE as string
  try {
    return readFileSafely(path)
  } catch (err) {
    throw new ConfigError('TLS_PFX_FILE', `cannot read ${path}: ${describeFsError(err)}`, { code: 'FILE_UNREADABLE' })
  }
}

/**
 * Stage 2 (PKCS#12): OpenSSL opens the file with the passphrase and checks
 * that key and certificate match while it builds the context; `build` is
 * that call. Returns the context and the certificate OpenSSL chose.
 */
export function openPkcs12 (config: Config, build: () => tls.SecureContext): { secureContext: tls.SecureContext, leaf: X509Certificate } {
  const path = config.TLS_PFX_FILE as string
  let secureContext: tls.SecureContext
  try {
    secureContext = build()
  } catch (err) {
    const reason = opensslReason(err)
    if (/mac verify failure/i.test(reason)) {
      throw config.TLS_PASSPHRASE === undefined
        ? new ConfigError('TLS_PASSPHRASE', `is required to open ${path}`, { code: 'PASSPHRASE_REQUIRED' })
        : new ConfigError('TLS_PASSPHRASE', `is wrong: it does not open ${path}`, { code: 'PASSPHRASE_WRONG' })
    }
    if (/unsupported/i.test(reason)) {
      throw new ConfigError('TLS_PFX_FILE', `${path} uses a legacy cipher (RC2/RC4) that OpenSSL 3 refuses; re-export it with AES (openssl pkcs12 -export -keypbe AES-256-CBC -certpbe AES-256-CBC)`, { code: 'PKCS12_LEGACY_CIPHER' })
    }
    throw new ConfigError('TLS_PFX_FILE', `${path} is not a usable PKCS#12 file: ${reason}`, { code: 'PKCS12_INVALID' })
  }
  // The only public way to read back the certificate OpenSSL chose is a socket on the context.
  const probe = new tls.TLSSocket(null as never, { secureContext })
  const raw = (probe.getCertificate() as tls.PeerCertificate | null)?.raw
  probe.destroy()
  if (raw === undefined) throw new ConfigError('TLS_PFX_FILE', `${path} holds no certificate`, { code: 'PKCS12_INVALID' })
  return { secureContext, leaf: new X509Certificate(raw) }
}

/** Stage 6 (PEM): the TLS context, built by `build`; OpenSSL may still refuse the pair (a key too small for its level). */
export function buildContext (chain: Chain, build: () => tls.SecureContext): tls.SecureContext {
  try {
    return build()
  } catch (err) {
    throw new ConfigError('TLS_CERT_FILE', `${chain.path} cannot be used for TLS: ${opensslReason(err)}`, { code: 'CERT_UNUSABLE' })
  }
}

function readText (variable: string, path: string): string {
  try {
    return readFileSafely(path, { encoding: 'utf8' })
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${path}: ${describeFsError(err)}`, { code: 'FILE_UNREADABLE' })
  }
}

export function oneLine (name: string): string {
  return name.split('\n').join(', ')
}

function opensslReason (err: unknown): string {
  const message = (err as Error).message ?? String(err)
  // "error:1C800064:Provider routines::bad decrypt" -> "bad decrypt"
  return message.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/, '')
}
