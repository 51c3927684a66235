import { X509Certificate } from 'node:crypto'
import tls from 'node:tls'

/**
 * A secure context that trusts Node's default roots plus `extraCa` (PEM
 * certificates, such as TLS_CA_FILE's), as `ca: [...defaultRoots, ...extra]`
 * would, without parsing the ~140 default roots again.
 *
 * Handing the roots over as `ca` makes OpenSSL decode every one of them for
 * this context: about 50 ms of start-up on this project's machines, a tenth
 * of the time to the first answer. Without `ca`, Node gives the context its
 * shared store of already-parsed roots; adding a certificate to that context
 * makes Node copy the shared store (references to the parsed roots, no
 * decoding) before adding, so the shared store is never changed.
 *
 * `ca: [...]` is the fallback wherever that native method is missing, so the
 * trust is the same on every Node version; only the cost differs.
 */
export function secureContextTrusting (options: tls.SecureContextOptions, extraCa: readonly string[] | undefined): tls.SecureContext {
  if (extraCa === undefined || extraCa.length === 0) return tls.createSecureContext(options)
  const context = tls.createSecureContext(options)
  const native = (context as { context?: { addCACert?: (pem: string) => void } }).context
  if (typeof native?.addCACert !== 'function') {
    return tls.createSecureContext({ ...options, ca: [...defaultRoots(), ...extraCa] })
  }
  for (const pem of extraCa) native.addCACert(pem)
  return context
}

/** The roots a context trusts when it is given no `ca`. */
export function defaultRoots (): readonly string[] {
  // Node 22.15+ can include NODE_EXTRA_CA_CERTS and the system store; 20 has the bundled roots.
  const get = (tls as unknown as { getCACertificates?: (kind: string) => string[] }).getCACertificates
  return typeof get === 'function' ? get('default') : tls.rootCertificates
}

export const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/**
 * The PEM certificates in `text`, each checked to parse, or why not. Checked
 * here because a context given a certificate OpenSSL cannot read does not
 * complain: it would only trust less, and fail at the first handshake.
 */
export function pemCertificates (text: string): string[] | 'none' | 'unparsable' {
  const found = text.match(PEM_CERT)
  if (found === null) return 'none'
  for (const pem of found) {
    try {
      // eslint-disable-next-line no-new
      new X509Certificate(pem)
    } catch {
      return 'unparsable'
    }
  }
  return found
}
