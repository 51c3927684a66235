import { ConfigError, startupFix } from '../errors.js'
import { daysLeft } from '../identity/load-identity.js'
import { type CheckContext, fail, type Step, type StepOutcome } from './check-types.js'

/**
 * The client identity, one question at a time, asked by the very loader
 * `serve` uses (src/identity/load-identity.ts), one phase per step: is the
 * certificate readable and current, does the passphrase open the key, is it
 * the key of that certificate. A failure shows the loader's line and, as
 * advice, the fix the start-up error registry gives for its code.
 */

export const certificateStep: Step = {
  id: 'certificate',
  title: 'client certificate',
  run (context) {
    return phase(context, () => {
      const info = context.identityLoading.certificate()
      const left = daysLeft(info, context.now)
      const soon = left < context.config.CERT_EXPIRY_WARN_DAYS ? ' — renew it soon' : ''
      return {
        detail: `${info.subject}, issued by ${info.issuer}, ${left} days left (until ${info.notAfter.toISOString().slice(0, 10)})${soon}`,
        data: { subject: info.subject, issuer: info.issuer, notBefore: info.notBefore.toISOString(), notAfter: info.notAfter.toISOString(), daysLeft: left }
      }
    })
  }
}

export const passphraseStep: Step = {
  id: 'passphrase',
  title: 'private key and passphrase',
  run (context) {
    return phase(context, () => {
      const opened = context.identityLoading.key()
      if (opened === undefined) return { detail: 'the passphrase opened the PKCS#12 file' }
      if (!opened.encrypted) {
        const unused = context.config.TLS_PASSPHRASE === undefined ? '' : ' (TLS_PASSPHRASE is set but not needed)'
        return { detail: `the key is not encrypted: no passphrase needed${unused}`, data: { encrypted: false } }
      }
      return { detail: 'the passphrase decrypts the key', data: { encrypted: true } }
    })
  }
}

export const keyMatchStep: Step = {
  id: 'key-match',
  title: 'key matches the certificate',
  run (context) {
    return phase(context, () => {
      // the identity the TLS steps after this one use
      context.identity = context.identityLoading.finish()
      const { info } = context.identity
      return {
        detail: info.source === 'pkcs12' ? 'checked by OpenSSL when the PKCS#12 file opened' : 'the public keys are the same',
        data: { fingerprint256: info.fingerprint256 }
      }
    })
  }
}

/**
 * Runs one phase of the load. A start-up error fails the step with its line
 * and its code's fix; a warning found in the phase (a key file others can
 * read) is added to the detail, with its fix as advice, and the step passes.
 */
function phase (context: CheckContext, run: () => { detail: string, data?: Record<string, unknown> }): StepOutcome {
  const loading = context.identityLoading
  const before = loading.warnings.length
  let found: { detail: string, data?: Record<string, unknown> }
  try {
    found = run()
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.toLine(), startupFix(err.code), { code: err.code })
    throw err
  }
  const warnings = loading.warnings.slice(before)
  if (warnings.length === 0) return { status: 'pass', detail: found.detail, ...(found.data === undefined ? {} : { data: found.data }) }
  return {
    status: 'pass',
    detail: [found.detail, ...warnings.map((w) => `warning: ${w.toLine()}`)].join('; '),
    advice: [...new Set(warnings.map((w) => startupFix(w.code)))].join(' '),
    data: { ...found.data, warnings: warnings.map((w) => w.code) }
  }
}
