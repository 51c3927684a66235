import { createHash, type X509Certificate } from 'node:crypto'
import tls from 'node:tls'
import type { Config } from '../config/schema.js'
import type { ConfigError } from '../errors.js'
import { secureContextTrusting } from '../tls-trust.js'
import {
  buildContext, type Chain, checkValidity, keyFileMode, matchKey, oneLine, openKey, type OpenedKey,
  openPkcs12, readChain, readPkcs12, readTrust
} from './identity-stages.js'

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
  /** Called with non-fatal findings, such as a key file others can read (code KEY_FILE_EXPOSED). */
  warn?: (warning: ConfigError) => void
  /**
   * False: a certificate outside its validity still loads (a member of
   * TLS_IDENTITIES_DIR that will serve later, or has stopped serving: the set
   * judges validity on its clock). The one identity is always checked.
   */
  checkValidity?: boolean
}

/**
 * Reads and checks the client identity named by the configuration, in the
 * stages of identity-stages.ts, each throwing a coded ConfigError naming the
 * variable or file at the first problem (never a secret). `serve` and every
 * reload call this; `check` walks the same IdentityLoading one phase per step.
 */
export function loadIdentity (config: Config, options: LoadIdentityOptions = {}): Identity {
  return new IdentityLoading(config, options).finish()
}

/** What the certificate phase found: a PKCS#12 file comes with its context already built. */
interface CertificatePhase { info: IdentityInfo, chain?: Chain, secureContext?: tls.SecureContext }

/**
 * One load of an identity, in three phases that always run in this order
 * (a later phase runs the earlier ones first if they have not run):
 *
 * 1. `certificate()`: PEM: read the chain, then its validity. PKCS#12: the
 *    file's mode, read it, the trusted CAs, open it (passphrase; OpenSSL
 *    checks that key and certificate match), then the validity.
 * 2. `key()`: PEM: the key file's mode, then open the key (PEM, encrypted PEM).
 * 3. `finish()`: PEM: the key matches the certificate, the trusted CAs, the
 *    TLS context. Returns the Identity.
 */
export class IdentityLoading {
  readonly config: Config
  readonly now: Date
  /** Non-fatal findings so far (each also handed to `warn`). */
  readonly warnings: ConfigError[] = []
  readonly #warn: (warning: ConfigError) => void
  readonly #checkValidity: boolean
  #certificate: CertificatePhase | undefined
  #key: OpenedKey | undefined
  #identity: Identity | undefined

  constructor (config: Config, options: LoadIdentityOptions = {}) {
    this.config = config
    this.now = options.now ?? new Date()
    this.#warn = options.warn ?? (() => {})
    this.#checkValidity = options.checkValidity ?? true
  }

  get pkcs12 (): boolean { return this.config.TLS_PFX_FILE !== undefined }

  certificate (): IdentityInfo {
    if (this.#certificate !== undefined) return this.#certificate.info
    const { config } = this
    if (config.TLS_PFX_FILE !== undefined) {
      // a PKCS#12 file holds the private key too
      this.#found(keyFileMode('TLS_PFX_FILE', config.TLS_PFX_FILE))
      const pfx = readPkcs12(config)
      const ca = readTrust(config)
      const { secureContext, leaf } = openPkcs12(config, () => secureContextFor({ pfx, passphrase: config.TLS_PASSPHRASE, minVersion: 'TLSv1.2' }, ca))
      if (this.#checkValidity) checkValidity(leaf, 'TLS_PFX_FILE', this.now)
      this.#certificate = { info: describe(leaf, 'pkcs12'), secureContext }
    } else {
      const chain = readChain(config)
      if (this.#checkValidity) checkValidity(chain.leaf, 'TLS_CERT_FILE', this.now)
      this.#certificate = { info: describe(chain.leaf, 'pem'), chain }
    }
    return this.#certificate.info
  }

  /** The opened PEM key; undefined for PKCS#12, opened with the certificate. */
  key (): OpenedKey | undefined {
    this.certificate()
    if (this.pkcs12 || this.#key !== undefined) return this.#key
    this.#found(keyFileMode('TLS_KEY_FILE', this.config.TLS_KEY_FILE as string))
    this.#key = openKey(this.config)
    return this.#key
  }

  finish (): Identity {
    if (this.#identity !== undefined) return this.#identity
    const key = this.key()
    const loaded = this.#certificate as CertificatePhase
    let secureContext = loaded.secureContext
    if (secureContext === undefined) {
      const chain = loaded.chain as Chain
      const opened = key as OpenedKey
      matchKey(chain, opened)
      const ca = readTrust(this.config)
      // The key is handed over decrypted, so OpenSSL never sees the passphrase again.
      const keyPem = opened.key.export({ type: 'pkcs8', format: 'pem' })
      secureContext = buildContext(chain, () => secureContextFor({ cert: chain.pems.join('\n'), key: keyPem, minVersion: 'TLSv1.2' }, ca))
    }
    this.#identity = { info: loaded.info, secureContext, loadedAt: this.now }
    return this.#identity
  }

  #found (warning: ConfigError | undefined): void {
    if (warning === undefined) return
    this.warnings.push(warning)
    this.#warn(warning)
  }
}

/**
 * The contexts last built, by a digest of exactly what built each. A secure
 * context holds every trusted root parsed anew (about 1 MiB of native memory
 * with TLS_CA_FILE, which adds the ~140 built-in roots to the file's), and V8
 * does not see that memory: 200 SIGHUPs with unchanged files grew RSS by
 * hundreds of MiB before a GC. Inputs byte for byte the same get the same
 * context; anything changed (a new certificate, key, passphrase or CA) builds
 * a new one. One entry per member of the identity set (at most five) and a
 * few more for what a reload replaces. The digests stay in memory and are
 * never logged.
 */
const KEPT_CONTEXTS = 8
const contexts = new Map<string, tls.SecureContext>()

function secureContextFor (options: tls.SecureContextOptions, ca: readonly string[] | undefined): tls.SecureContext {
  const hash = createHash('sha256')
  for (const part of [options.cert, options.key, options.pfx, options.passphrase, options.minVersion, ...(ca ?? ['no-ca'])]) {
    hash.update(part === undefined ? '-' : typeof part === 'string' ? `s${part.length}:${part}` : Buffer.concat([Buffer.from(`b${(part as Buffer).length}:`), part as Buffer]))
  }
  const digest = hash.digest('hex')
  const kept = contexts.get(digest)
  if (kept !== undefined) return kept
  const context = secureContextTrusting(options, ca)
  contexts.set(digest, context)
  // the oldest goes first (a Map keeps insertion order)
  if (contexts.size > KEPT_CONTEXTS) contexts.delete(contexts.keys().next().value as string)
  return context
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

/** Whole days from `now` until the certificate expires (negative once expired). */
export function daysLeft (info: Pick<IdentityInfo, 'notAfter'>, now: Date = new Date()): number {
  return Math.floor((info.notAfter.getTime() - now.getTime()) / 86_400_000)
}
