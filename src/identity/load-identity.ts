import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto'
import { statSync } from 'node:fs'
import tls from 'node:tls'
import { describeFsError, readFileSafely } from '../config/read-file-safely.js'
import type { Config } from '../config/schema.js'
import { ConfigError } from '../errors.js'
import { PEM_CERT, pemCertificates, secureContextTrusting } from '../tls-trust.js'

/** What is known about the client certificate; safe to log and to show. */
export interface IdentityInfo {
  readonly subject: string
  readonly issuer: string
  readonly serialNumber: string
  readonly fingerprint256: string
  readonly notBefore: Date
  readonly notAfter: Date
  readonly source: 'pem' | 'pkcs12'
}

/**
 * A validated client identity. `secureContext` is built once here and handed
 * to every upstream connection, so no key is parsed per request.
 */
export interface Identity {
  readonly info: IdentityInfo
  readonly secureContext: tls.SecureContext
  readonly loadedAt: Date
}

export interface LoadIdentityOptions {
  now?: Date
  /** Called with non-fatal findings, such as a key file others can read. */
  warn?: (message: string) => void
}

/**
 * Reads and checks the client identity named by the configuration: files
 * readable, certificate parses, key decrypts with the passphrase and matches
 * the certificate, certificate within its validity. Throws a ConfigError
 * naming the variable or file at the first problem; never includes a secret.
 */
export function loadIdentity (config: Config, options: LoadIdentityOptions = {}): Identity {
  const now = options.now ?? new Date()
  const warn = options.warn ?? (() => {})
  const ca = config.TLS_CA_FILE === undefined ? undefined : readCaBundle(config.TLS_CA_FILE)

  const loaded = config.TLS_PFX_FILE !== undefined
    ? loadPkcs12(config.TLS_PFX_FILE, config.TLS_PASSPHRASE, ca, warn)
    : loadPem(config, ca, warn)

  checkValidity(loaded.info, loaded.subject, now)
  return { info: loaded.info, secureContext: loaded.secureContext, loadedAt: now }
}

interface Loaded { info: IdentityInfo, secureContext: tls.SecureContext, subject: string }

function loadPem (config: Config, ca: string[] | undefined, warn: (message: string) => void): Loaded {
  const certPath = config.TLS_CERT_FILE as string
  const keyPath = config.TLS_KEY_FILE as string
  const certText = readText('TLS_CERT_FILE', certPath)
  const chain = certText.match(PEM_CERT)
  if (chain === null) throw new ConfigError('TLS_CERT_FILE', `${certPath} holds no PEM certificate`)
  let leaf: X509Certificate
  try {
    leaf = new X509Certificate(chain[0] as string)
  } catch {
    throw new ConfigError('TLS_CERT_FILE', `${certPath} holds a certificate that does not parse`)
  }

  warnIfOthersCanRead('TLS_KEY_FILE', keyPath, warn)
  const key = decryptKey(keyPath, readText('TLS_KEY_FILE', keyPath), config.TLS_PASSPHRASE)
  if (!leaf.checkPrivateKey(key)) {
    throw new ConfigError('TLS_KEY_FILE', `${keyPath} does not match the certificate in ${certPath}`)
  }

  let secureContext: tls.SecureContext
  try {
    // The key is handed over decrypted, so OpenSSL never sees the passphrase again.
    const keyPem = key.export({ type: 'pkcs8', format: 'pem' })
    secureContext = secureContextFor({ cert: chain.join('\n'), key: keyPem, minVersion: 'TLSv1.2' }, ca)
  } catch (err) {
    throw new ConfigError('TLS_CERT_FILE', `${certPath} cannot be used for TLS: ${opensslReason(err)}`)
  }
  return { info: describe(leaf, 'pem'), secureContext, subject: 'TLS_CERT_FILE' }
}

function decryptKey (keyPath: string, text: string, passphrase: string | undefined): KeyObject {
  const encrypted = /ENCRYPTED/.test(text)
  if (encrypted && passphrase === undefined) {
    throw new ConfigError('TLS_PASSPHRASE', `is required: the private key in ${keyPath} is encrypted`)
  }
  try {
    return createPrivateKey({ key: text, format: 'pem', ...(encrypted ? { passphrase } : {}) })
  } catch (err) {
    if (encrypted) throw new ConfigError('TLS_PASSPHRASE', `is wrong: it does not decrypt the private key in ${keyPath}`)
    throw new ConfigError('TLS_KEY_FILE', `${keyPath} holds no readable PEM private key (${opensslReason(err)})`)
  }
}

function loadPkcs12 (pfxPath: string, passphrase: string | undefined, ca: string[] | undefined, warn: (message: string) => void): Loaded {
  // a PKCS#12 file holds the private key too
  warnIfOthersCanRead('TLS_PFX_FILE', pfxPath, warn)
  let pfx: Buffer
  try {
    pfx = readFileSafely(pfxPath)
  } catch (err) {
    throw new ConfigError('TLS_PFX_FILE', `cannot read ${pfxPath}: ${describeFsError(err)}`)
  }
  let secureContext: tls.SecureContext
  try {
    secureContext = secureContextFor({ pfx, passphrase, minVersion: 'TLSv1.2' }, ca)
  } catch (err) {
    const reason = opensslReason(err)
    if (/mac verify failure/i.test(reason)) {
      throw passphrase === undefined
        ? new ConfigError('TLS_PASSPHRASE', `is required to open ${pfxPath}`)
        : new ConfigError('TLS_PASSPHRASE', `is wrong: it does not open ${pfxPath}`)
    }
    if (/unsupported/i.test(reason)) {
      throw new ConfigError('TLS_PFX_FILE', `${pfxPath} uses a legacy cipher (RC2/RC4) that OpenSSL 3 refuses; re-export it with AES (openssl pkcs12 -export -keypbe AES-256-CBC -certpbe AES-256-CBC)`)
    }
    throw new ConfigError('TLS_PFX_FILE', `${pfxPath} is not a usable PKCS#12 file: ${reason}`)
  }
  // OpenSSL has already checked that key and certificate match. The only
  // public way to read back the certificate it chose is a socket on the context.
  const probe = new tls.TLSSocket(null as never, { secureContext })
  const raw = (probe.getCertificate() as tls.PeerCertificate | null)?.raw
  probe.destroy()
  if (raw === undefined) throw new ConfigError('TLS_PFX_FILE', `${pfxPath} holds no certificate`)
  return { info: describe(new X509Certificate(raw), 'pkcs12'), secureContext, subject: 'TLS_PFX_FILE' }
}

/**
 * The last context built, by a digest of exactly what built it. A secure
 * context holds every trusted root parsed anew (about 1 MiB of native memory
 * with TLS_CA_FILE, which adds the ~140 built-in roots to the file's), and V8
 * does not see that memory: 200 SIGHUPs with unchanged files grew RSS by
 * hundreds of MiB before a GC. Inputs byte for byte the same get the same
 * context; anything changed (a new certificate, key, passphrase or CA) builds
 * a new one. The digest stays in memory and is never logged.
 */
let lastContext: { digest: string, context: tls.SecureContext } | undefined

function secureContextFor (options: tls.SecureContextOptions, ca: readonly string[] | undefined): tls.SecureContext {
  const hash = createHash('sha256')
  for (const part of [options.cert, options.key, options.pfx, options.passphrase, options.minVersion, ...(ca ?? ['no-ca'])]) {
    hash.update(part === undefined ? '-' : typeof part === 'string' ? `s${part.length}:${part}` : Buffer.concat([Buffer.from(`b${(part as Buffer).length}:`), part as Buffer]))
  }
  const digest = hash.digest('hex')
  if (lastContext?.digest === digest) return lastContext.context
  const context = secureContextTrusting(options, ca)
  lastContext = { digest, context }
  return context
}

function checkValidity (info: IdentityInfo, subject: string, now: Date): void {
  if (now.getTime() > info.notAfter.getTime()) {
    throw new ConfigError(subject, `the client certificate (${info.subject}) expired on ${info.notAfter.toISOString()}`)
  }
  if (now.getTime() < info.notBefore.getTime()) {
    throw new ConfigError(subject, `the client certificate (${info.subject}) is not valid before ${info.notBefore.toISOString()}`)
  }
}

/** The certificates TLS_CA_FILE adds to the built-in roots, each checked to parse. */
function readCaBundle (path: string): string[] {
  const found = pemCertificates(readText('TLS_CA_FILE', path))
  if (found === 'none') throw new ConfigError('TLS_CA_FILE', `${path} holds no PEM certificate`)
  if (found === 'unparsable') throw new ConfigError('TLS_CA_FILE', `${path} holds a certificate that does not parse`)
  return found
}

function readText (variable: string, path: string): string {
  try {
    return readFileSafely(path, { encoding: 'utf8' })
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${path}: ${describeFsError(err)}`)
  }
}

function warnIfOthersCanRead (variable: string, path: string, warn: (message: string) => void): void {
  try {
    const mode = statSync(path).mode & 0o777
    if ((mode & 0o077) !== 0) {
      warn(`${variable} ${path} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 it`)
    }
  } catch {
    // unreadable files are reported by the read that follows
  }
}

function describe (cert: X509Certificate, source: IdentityInfo['source']): IdentityInfo {
  return Object.freeze({
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    source
  })
}

function oneLine (name: string): string {
  return name.split('\n').join(', ')
}

function opensslReason (err: unknown): string {
  const message = (err as Error).message ?? String(err)
  // "error:1C800064:Provider routines::bad decrypt" -> "bad decrypt"
  return message.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/, '')
}

/** Whole days from `now` until the certificate expires (negative once expired). */
export function daysLeft (info: IdentityInfo, now: Date = new Date()): number {
  return Math.floor((info.notAfter.getTime() - now.getTime()) / 86_400_000)
}
