import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto'
import { statSync } from 'node:fs'
import { describeFsError, readFileSafely, UnsafeFileError } from '../config/read-file-safely.js'
import { ConfigError } from '../errors.js'
import { daysLeft, loadIdentity } from '../identity/load-identity.js'
import { ADVICE } from './advice.js'
import { type CheckContext, fail, pass, type Step, type StepOutcome } from './check-types.js'

/**
 * The client identity, one question at a time: does the certificate parse
 * and is it current, does the passphrase open the key, is it the key of that
 * certificate. For PEM files each is checked here, so the failing step is
 * named; a PKCS#12 file is opened by OpenSSL in one go.
 */

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/

export const certificateStep: Step = {
  id: 'certificate',
  title: 'client certificate',
  run (context) {
    const { config } = context
    if (config.TLS_PFX_FILE !== undefined) return openPkcs12(context)
    const path = config.TLS_CERT_FILE as string
    let cert: X509Certificate
    try {
      const pem = readFileSafely(path, { encoding: 'utf8' }).match(PEM_CERT)
      if (pem === null) return fail(`TLS_CERT_FILE ${path} holds no PEM certificate`, ADVICE.certUnreadable)
      cert = new X509Certificate(pem[0])
    } catch (err) {
      const why = err instanceof UnsafeFileError || (err as NodeJS.ErrnoException).code?.startsWith('E') === true ? describeFsError(err) : 'it does not parse'
      return fail(`TLS_CERT_FILE ${path}: ${why}`, ADVICE.certUnreadable)
    }
    return judgeValidity(context, cert)
  }
}

function judgeValidity (context: CheckContext, cert: X509Certificate): StepOutcome {
  const subject = oneLine(cert.subject)
  const issuer = oneLine(cert.issuer)
  const notAfter = new Date(cert.validTo)
  const notBefore = new Date(cert.validFrom)
  const left = daysLeft({ notAfter } as Parameters<typeof daysLeft>[0], context.now)
  const data = { subject, issuer, notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString(), daysLeft: left }
  if (context.now.getTime() > notAfter.getTime()) {
    const ago = Math.floor((context.now.getTime() - notAfter.getTime()) / 86_400_000)
    return fail(`${subject} expired on ${notAfter.toISOString()} (${ago === 0 ? 'today' : ago === 1 ? '1 day ago' : `${ago} days ago`})`, ADVICE.certExpired, data)
  }
  if (context.now.getTime() < notBefore.getTime()) {
    return fail(`${subject} is not valid before ${notBefore.toISOString()}`, ADVICE.certNotYetValid, data)
  }
  const soon = left < context.config.CERT_EXPIRY_WARN_DAYS ? ' — renew it soon' : ''
  return pass(`${subject}, issued by ${issuer}, ${left} days left (until ${notAfter.toISOString().slice(0, 10)})${soon}`, data)
}

/** The decrypted key, shared by the passphrase and key-match steps. */
const keys = new WeakMap<CheckContext, KeyObject>()

export const passphraseStep: Step = {
  id: 'passphrase',
  title: 'private key and passphrase',
  run (context) {
    const { config } = context
    if (config.TLS_PFX_FILE !== undefined) return pass('the passphrase opened the PKCS#12 file')
    const path = config.TLS_KEY_FILE as string
    let text: string
    try {
      text = readFileSafely(path, { encoding: 'utf8' })
    } catch (err) {
      return fail(`TLS_KEY_FILE ${path}: ${describeFsError(err)}`, ADVICE.keyUnreadable)
    }
    const encrypted = /ENCRYPTED/.test(text)
    if (encrypted && config.TLS_PASSPHRASE === undefined) {
      return fail(`the key in ${path} is encrypted and TLS_PASSPHRASE is not set`, ADVICE.passphraseMissing)
    }
    try {
      keys.set(context, createPrivateKey({ key: text, format: 'pem', ...(encrypted ? { passphrase: config.TLS_PASSPHRASE } : {}) }))
    } catch {
      return encrypted
        ? fail(`TLS_PASSPHRASE is wrong: it does not decrypt the key in ${path}`, ADVICE.passphraseWrong)
        : fail(`TLS_KEY_FILE ${path} holds no readable PEM private key`, ADVICE.keyUnreadable)
    }
    const exposed = othersCanRead(path)
    const warning = exposed === undefined ? '' : `; warning: ${path} is readable by group or others (mode ${exposed}): chmod 600 it`
    if (!encrypted) {
      const unused = config.TLS_PASSPHRASE === undefined ? '' : ' (TLS_PASSPHRASE is set but not needed)'
      return pass(`the key is not encrypted: no passphrase needed${unused}${warning}`, { encrypted, mode: exposed ?? null })
    }
    return pass(`the passphrase decrypts the key${warning}`, { encrypted, mode: exposed ?? null })
  }
}

export const keyMatchStep: Step = {
  id: 'key-match',
  title: 'key matches the certificate',
  run (context) {
    const { config } = context
    if (config.TLS_PFX_FILE === undefined) {
      const certPem = readFileSafely(config.TLS_CERT_FILE as string, { encoding: 'utf8' }).match(PEM_CERT) as RegExpMatchArray
      const key = keys.get(context) as KeyObject
      if (!new X509Certificate(certPem[0]).checkPrivateKey(key)) {
        return fail(`TLS_KEY_FILE ${config.TLS_KEY_FILE as string} is not the key of the certificate in ${config.TLS_CERT_FILE as string}`, ADVICE.keyMismatch)
      }
    }
    // The same loading `serve` does, for the TLS context the next steps use.
    try {
      context.identity = loadIdentity(config, { now: context.now })
    } catch (err) {
      if (err instanceof ConfigError) return fail(err.toLine(), adviceFor(err))
      throw err
    }
    const kind = context.identity.info.source === 'pkcs12' ? 'checked by OpenSSL when the PKCS#12 file opened' : 'the public keys are the same'
    return pass(kind, { fingerprint256: context.identity.info.fingerprint256 })
  }
}

function openPkcs12 (context: CheckContext): StepOutcome {
  try {
    context.identity = loadIdentity(context.config, { now: context.now })
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.toLine(), adviceFor(err))
    throw err
  }
  const { info } = context.identity
  const left = daysLeft(info, context.now)
  return pass(`${info.subject}, issued by ${info.issuer}, ${left} days left (until ${info.notAfter.toISOString().slice(0, 10)})`,
    { subject: info.subject, issuer: info.issuer, notAfter: info.notAfter.toISOString(), daysLeft: left })
}

function adviceFor (err: ConfigError): string {
  if (err.subject === 'TLS_PASSPHRASE') return /required/.test(err.message) ? ADVICE.passphraseMissing : ADVICE.passphraseWrong
  if (/expired/.test(err.message)) return ADVICE.certExpired
  if (err.subject === 'TLS_KEY_FILE') return ADVICE.keyMismatch
  if (err.subject === 'TLS_CA_FILE') return 'Point TLS_CA_FILE at a readable PEM bundle of the CA that signs the upstream\'s certificate, or unset it.'
  return ADVICE.certUnreadable
}

/** The file's mode as `0644` when group or others may read it, else undefined. */
function othersCanRead (path: string): string | undefined {
  const mode = statSync(path).mode & 0o777
  return (mode & 0o077) === 0 ? undefined : mode.toString(8).padStart(4, '0')
}

function oneLine (name: string): string {
  return name.split('\n').join(', ')
}
