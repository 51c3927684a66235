import type { IncomingHttpHeaders } from 'node:http'

/**
 * Which headers cross the sidecar, in each direction.
 *
 * Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and never
 * cross; `expect` is answered by the sidecar itself (undici refuses it).
 */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer',
  'upgrade', 'http2-settings', 'proxy-authenticate', 'proxy-authorization', 'expect'
])

/** Headers that would tell Trulioo about internal addresses, or carry the app's session. */
const NEVER_UPSTREAM = new Set(['forwarded', 'x-real-ip', 'via', 'cookie'])

export interface UpstreamHeaderContext {
  readonly host: string
  readonly requestId: string
  readonly authorization: string | undefined
}

function connectionListed (headers: Record<string, unknown>): Set<string> {
  const value = headers.connection
  const names = new Set<string>()
  if (typeof value !== 'string') return names
  for (const name of value.split(',')) {
    const trimmed = name.trim().toLowerCase()
    if (trimmed !== '') names.add(trimmed)
  }
  return names
}

/** The headers sent to the upstream for one request. */
export function upstreamRequestHeaders (inbound: IncomingHttpHeaders, context: UpstreamHeaderContext): Record<string, string | string[]> {
  const listed = connectionListed(inbound)
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(inbound)) {
    if (value === undefined || HOP_BY_HOP.has(name) || NEVER_UPSTREAM.has(name) || listed.has(name) ||
        name.startsWith('x-forwarded-')) continue
    out[name] = value
  }
  // Overwrite, never merge: the application must not be able to choose the
  // identity Trulioo sees. Without configured credentials the app's own
  // Authorization passes through, so the sidecar can do mTLS alone.
  if (context.authorization !== undefined) out.authorization = context.authorization
  out.host = context.host
  out['x-request-id'] = context.requestId
  return out
}

/** The upstream's response headers as the application gets them. */
export function downstreamResponseHeaders (upstream: Record<string, unknown>, requestId: string): Record<string, unknown> {
  const listed = connectionListed(upstream)
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(upstream)) {
    const lower = name.toLowerCase()
    // The upstream's Connection: keep-alive must not override the app's Connection: close,
    // and only the sidecar may say a reply is its own error.
    if (HOP_BY_HOP.has(lower) || listed.has(lower) || lower === 'x-sidecar-error') continue
    out[lower] = value
  }
  out['x-request-id'] = requestId
  return out
}
