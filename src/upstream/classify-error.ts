import { SidecarRequestError } from '../errors.js'
import type { SocketFates } from './tls-connector.js'

/** A freshly secured connection closed this soon, without an answer, was refused. */
const REFUSED_WITHIN_MS = 2_000

const UNTRUSTED_UPSTREAM = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE'
])
const UNREACHABLE = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'ECONNABORTED'
])
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'])

const ALERT_MEANING: Record<string, string> = {
  CERTIFICATE_REQUIRED: 'it requires a client certificate',
  UNKNOWN_CA: 'it does not trust the issuer of the client certificate',
  BAD_CERTIFICATE: 'it rejected the client certificate',
  CERTIFICATE_EXPIRED: 'it says the client certificate has expired',
  CERTIFICATE_REVOKED: 'it says the client certificate was revoked',
  CERTIFICATE_UNKNOWN: 'it rejected the client certificate',
  UNSUPPORTED_CERTIFICATE: 'it does not support the client certificate',
  ACCESS_DENIED: 'it denied access to this client certificate',
  HANDSHAKE_FAILURE: 'no common TLS parameters, or it rejected the client certificate',
  PROTOCOL_VERSION: 'no TLS version in common'
}

interface ErrorLike { code?: unknown, message?: unknown, cause?: unknown, socket?: { localPort?: number } }

/** The innermost error that carries a code: reply-from wraps undici's in its own. */
function rootCause (err: unknown): ErrorLike {
  let current = err as ErrorLike
  for (let depth = 0; depth < 5; depth++) {
    if (current instanceof SidecarRequestError) return current
    const next = current?.cause as ErrorLike | undefined
    if (next === undefined || next === null || typeof next !== 'object') break
    current = next
  }
  return current ?? {}
}

/** Maps an undici, TLS or socket error to the sidecar's code and a message that says which failure it was. */
export function classifyUpstreamError (err: unknown, fates?: SocketFates, servername?: string): SidecarRequestError {
  const cause = rootCause(err)
  if (cause instanceof SidecarRequestError) return cause
  const code = typeof cause.code === 'string' ? cause.code : ''
  const wrap = (c: ConstructorParameters<typeof SidecarRequestError>[0], message: string, clientCertificateRefused = false) =>
    new SidecarRequestError(c, message, { cause, clientCertificateRefused })

  if (UNTRUSTED_UPSTREAM.has(code)) {
    return wrap('UPSTREAM_TLS_ERROR', `the upstream's certificate is not signed by a trusted CA (${code}); if it uses a private CA, set TLS_CA_FILE`)
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return wrap('UPSTREAM_TLS_ERROR', `the upstream's certificate does not match the name ${servername ?? 'requested'} (name mismatch); check UPSTREAM_URL or TLS_SERVERNAME`)
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return wrap('UPSTREAM_TLS_ERROR', `the upstream's certificate is expired or not yet valid (${code})`)
  }
  const alert = /_ALERT_(.+)$/.exec(code)?.[1]
  if (alert !== undefined) return refusedByAlert(code, alert, cause)
  if (code.startsWith('ERR_SSL_')) {
    return wrap('UPSTREAM_TLS_ERROR', `the TLS handshake with the upstream failed (${code}); is UPSTREAM_URL really a TLS endpoint?`)
  }

  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') {
    const fate = fates?.get(cause.socket?.localPort) ?? fates?.forError(cause)
    if (fate?.alert !== undefined) {
      const fateAlert = /_ALERT_(.+)$/.exec(String(fate.alert.code))?.[1] ?? 'UNKNOWN'
      return refusedByAlert(String(fate.alert.code), fateAlert, cause)
    }
    // A request body being written when the refusal lands gets a reset, not the
    // alert, before the socket has even closed: hence `now` when closedAt is unset.
    if (fate !== undefined && fate.protocol === 'TLSv1.3' && fate.answered !== true &&
        (fates as SocketFates).openFor(fate) < REFUSED_WITHIN_MS) {
      return wrap('UPSTREAM_TLS_ERROR', 'the upstream closed the connection right after the TLS 1.3 handshake, without answering: ' +
        'it refused the client certificate (not issued by Trulioo for this account, expired or revoked)', true)
    }
    if (/before secure TLS connection/.test(String(cause.message))) {
      return wrap('UPSTREAM_TLS_ERROR', 'the upstream closed the connection during the TLS handshake: it most likely refused the client certificate', true)
    }
  }

  const bad = badResponse(cause, code)
  if (bad !== undefined) return wrap('UPSTREAM_BAD_RESPONSE', `the upstream's answer is not valid HTTP: ${bad}`)

  if (TIMEOUTS.has(code)) {
    const what = code === 'UND_ERR_CONNECT_TIMEOUT'
      ? 'connecting to the upstream (CONNECT_TIMEOUT_MS)'
      : code === 'UND_ERR_BODY_TIMEOUT' ? 'the upstream\'s next body chunk (UPSTREAM_BODY_TIMEOUT_MS)' : 'the upstream\'s response (UPSTREAM_TIMEOUT_MS)'
    return wrap('UPSTREAM_TIMEOUT', `timed out waiting for ${what}, ${code}`)
  }
  if (UNREACHABLE.has(code)) {
    return wrap('UPSTREAM_UNREACHABLE', `the upstream could not be reached or dropped the connection before answering (${code})`)
  }
  return wrap('INTERNAL_ERROR', `the request to the upstream failed (${code || 'no code'})`)
}

/**
 * What was wrong with an answer undici (or reply-from) could not accept, or
 * undefined when the error is not about the answer's bytes. Found by sending
 * bad answers from a raw TLS server to undici 7:
 * - llhttp's refusals are HTTPParserError with `code` undefined (undici looks
 *   the number up in a name-to-number table), the reason in the message:
 *   "Response does not match the HTTP/1.1 protocol (Invalid header value char)";
 * - a second Content-Length, or one that does not parse as a length, surfaces
 *   as UND_ERR_RES_CONTENT_LENGTH_MISMATCH, as does a body cut short of it;
 * - a header block over the limit is UND_ERR_HEADERS_OVERFLOW;
 * - a status over 599 passes the parser and reply-from answers it with its own
 *   FST_REPLY_FROM_BAD_GATEWAY (its only use); one under 100 trips undici's
 *   `assert(statusCode >= 100)`, whose message names statusCode only when Node
 *   can read the source line (not from the bundle). The forward stage now
 *   refuses both before either happens (forward.ts, onHeaders); these stay for
 *   a dispatcher that is not metered.
 * The bytes themselves (HTTPParserError's `data`) are never quoted: they are
 * the upstream's, and may be anything.
 */
function badResponse (cause: ErrorLike, code: string): string | undefined {
  const message = typeof cause.message === 'string' ? cause.message : ''
  if (code.startsWith('HPE_') || (cause as { name?: unknown }).name === 'HTTPParserError') {
    const reason = /\(([^()]{1,120})\)\s*$/.exec(message)?.[1]
    return `${reason === undefined ? 'the HTTP/1.1 parser refused it' : reason.charAt(0).toLowerCase() + reason.slice(1)}${code === '' ? '' : ` (${code})`}`
  }
  switch (code) {
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return 'its Content-Length is invalid, given twice or does not match the body it sent (UND_ERR_RES_CONTENT_LENGTH_MISMATCH)'
    case 'UND_ERR_HEADERS_OVERFLOW':
      return 'its header block is larger than the limit (UND_ERR_HEADERS_OVERFLOW)'
    case 'FST_REPLY_FROM_BAD_GATEWAY':
    // what Fastify's reply.code() and Node's writeHead() throw for a status they
    // cannot write: only the upstream's status can get that far
    case 'FST_ERR_BAD_STATUS_CODE':
    case 'ERR_HTTP_INVALID_STATUS_CODE':
      return 'its status code is not between 100 and 599'
    case 'ERR_ASSERTION':
      return /statusCode/.test(message) ? 'its status code is not between 100 and 599' : undefined
    default:
      return undefined
  }
}

function refusedByAlert (code: string, alert: string, cause: unknown): SidecarRequestError {
  const meaning = ALERT_MEANING[alert] ?? 'it ended the handshake'
  const words = alert.toLowerCase().replace(/_/g, ' ')
  return new SidecarRequestError('UPSTREAM_TLS_ERROR', `the upstream refused the TLS connection: ${meaning} (TLS alert "${words}", ${code})`, { cause, clientCertificateRefused: true })
}

/** The innermost error code of a chain, for a log line's `cause` (reply-from and undici wrap errors). */
export function causeCode (err: unknown): string | undefined {
  let current = err as { code?: unknown, cause?: unknown } | undefined
  let code: string | undefined
  for (let i = 0; i < 5 && current !== undefined && current !== null; i++) {
    if (typeof current.code === 'string') code = current.code
    current = current.cause as typeof current
  }
  return code
}
