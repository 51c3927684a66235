import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { SidecarRequestError } from '../errors.js'

/** The methods a REST API such as Trulioo's takes; anything else gets 405. */
export const ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
const allowed = new Set<string>(ALLOWED_METHODS)

export interface GuardSettings {
  readonly maxBodyBytes: number
  /** SHA-256 of `Bearer <token>`, or undefined when no token is required. */
  readonly proxyAuthDigest: Buffer | undefined
}

export function guardSettings (maxBodyBytes: number, proxyAuthToken: string | undefined): GuardSettings {
  return {
    maxBodyBytes,
    proxyAuthDigest: proxyAuthToken === undefined ? undefined : sha256(`Bearer ${proxyAuthToken}`)
  }
}

/**
 * The checks that need only the request line and headers. They run before
 * `100 Continue` is sent, so a client is told no before it uploads anything.
 */
export function guardRequest (req: IncomingMessage, settings: GuardSettings): SidecarRequestError | undefined {
  const method = req.method ?? ''
  if (!allowed.has(method)) {
    return new SidecarRequestError('METHOD_NOT_ALLOWED', `method ${method} is not allowed; the sidecar forwards ${ALLOWED_METHODS.join(', ')}`)
  }
  if (settings.proxyAuthDigest !== undefined) {
    const given = req.headers['proxy-authorization']
    // compare digests of equal length in constant time
    if (typeof given !== 'string' || !timingSafeEqual(sha256(given), settings.proxyAuthDigest)) {
      return new SidecarRequestError('PROXY_AUTH_REQUIRED', 'this sidecar requires Proxy-Authorization: Bearer <PROXY_AUTH_TOKEN>')
    }
  }
  const length = req.headers['content-length']
  if (length !== undefined && Number(length) > settings.maxBodyBytes) {
    return new SidecarRequestError('BODY_TOO_LARGE', `the request body (${length} bytes) is larger than MAX_BODY_BYTES (${settings.maxBodyBytes})`)
  }
  return undefined
}

function sha256 (text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}
