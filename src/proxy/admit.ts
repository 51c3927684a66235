import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { SidecarRequestError } from '../errors.js'
import type { Readiness } from '../readiness.js'
import { targetRefusal } from './target.js'

/** The methods a REST API such as Trulioo's takes; anything else gets 405. */
export const ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
const allowed = new Set<string>(ALLOWED_METHODS)

export interface AdmitSettings {
  readonly maxBodyBytes: number
  /** PROXY_AUTH_TOKEN, or undefined when no token is required. */
  readonly proxyAuthToken: string | undefined
}

/**
 * Stage 1, admit: whether a request may go on, from its request line and
 * headers alone — method, Host, Expect, proxy token, declared size, target,
 * readiness. It
 * runs before `100 Continue` is sent too, so a client is told no before it
 * uploads anything. Everything it compares against is prepared here, once.
 */
export class Admission {
  readonly #maxBodyBytes: number
  /** SHA-256 of `Bearer <token>`: digests of equal length compare in constant time. */
  readonly #proxyAuthDigest: Buffer | undefined
  readonly #readiness: Readiness

  constructor (settings: AdmitSettings, readiness: Readiness) {
    this.#maxBodyBytes = settings.maxBodyBytes
    this.#proxyAuthDigest = settings.proxyAuthToken === undefined ? undefined : sha256(`Bearer ${settings.proxyAuthToken}`)
    this.#readiness = readiness
  }

  /** Why `req` is refused, or undefined. `target` is the target after absolute-form reduction. */
  refusal (req: IncomingMessage, target: string): SidecarRequestError | undefined {
    const method = req.method ?? ''
    if (!allowed.has(method)) {
      return new SidecarRequestError('METHOD_NOT_ALLOWED', `method ${method} is not allowed; the sidecar forwards ${ALLOWED_METHODS.join(', ')}`)
    }
    const headers = req.headers
    // Node would answer these two itself, in its own bare format
    if (headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1) {
      return new SidecarRequestError('BAD_REQUEST', 'an HTTP/1.1 request must carry a Host header')
    }
    const expect = headers.expect
    if (expect !== undefined && expect.toLowerCase() !== '100-continue') {
      return new SidecarRequestError('EXPECTATION_FAILED', 'the sidecar only meets Expect: 100-continue')
    }
    if (this.#proxyAuthDigest !== undefined) {
      const given = headers['proxy-authorization']
      if (typeof given !== 'string' || !timingSafeEqual(sha256(given), this.#proxyAuthDigest)) {
        return new SidecarRequestError('PROXY_AUTH_REQUIRED', 'this sidecar requires Proxy-Authorization: Bearer <PROXY_AUTH_TOKEN>')
      }
    }
    const length = headers['content-length']
    if (length !== undefined && Number(length) > this.#maxBodyBytes) {
      return new SidecarRequestError('BODY_TOO_LARGE', `the request body (${length} bytes) is larger than MAX_BODY_BYTES (${this.#maxBodyBytes})`)
    }
    const unsafe = targetRefusal(req)
    if (unsafe !== undefined) {
      return new SidecarRequestError('BAD_REQUEST_TARGET', `the request target holds ${unsafe}, which a server could read as another path; send the path as it is meant, such as /verifications/v1/verify`)
    }
    if (target.charCodeAt(0) !== 47 /* / */) {
      return new SidecarRequestError('BAD_REQUEST_TARGET', 'the request target must be a path such as /verifications/v1/verify')
    }
    return this.#readiness.refusal()
  }
}

function sha256 (text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}
