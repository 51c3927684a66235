import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'

/**
 * Stage 2, header policy: which headers cross the sidecar, in each direction,
 * and the request id.
 *
 * Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and never
 * cross; `expect` is answered by the sidecar itself (undici refuses it).
 */
const HOP_BY_HOP = [
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer',
  'upgrade', 'http2-settings', 'proxy-authenticate', 'proxy-authorization', 'expect'
]

/** Headers that would tell Trulioo about internal addresses, or carry the app's session. */
const NEVER_UPSTREAM = ['forwarded', 'x-real-ip', 'via', 'cookie']

const DROP_UPSTREAM = new Set([...HOP_BY_HOP, ...NEVER_UPSTREAM])
const DROP_DOWNSTREAM = new Set([...HOP_BY_HOP, 'x-sidecar-error'])

const REQUEST_ID = /^[\w.:@-]{1,128}$/

/** The request id: the application's own when it is sane, else a fresh UUID. */
export function requestIdOf (req: IncomingMessage): string {
  const given = req.headers['x-request-id']
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
}

export interface UpstreamHeaderContext {
  readonly host: string
  readonly requestId: string
  readonly authorization: string | undefined
  /** The self-serve gateway's API key to inject as x-trulioo-api-key (api-key routes). */
  readonly apiKey?: string | undefined
  /**
   * Whether the application's own Authorization and x-trulioo-api-key cross
   * (pass-through routes). Unset: only when the sidecar injects nothing.
   */
  readonly passThrough?: boolean
}

/** The names a `Connection` header lists: they are hop-by-hop for this message. */
function connectionListed (value: unknown): Set<string> | undefined {
  if (typeof value !== 'string') return undefined
  // what nearly every message says, answered without splitting
  const whole = value.toLowerCase()
  if (whole === 'keep-alive' || whole === 'close') return undefined
  let names: Set<string> | undefined
  for (const name of value.split(',')) {
    const trimmed = name.trim().toLowerCase()
    if (trimmed !== '' && trimmed !== 'close' && trimmed !== 'keep-alive') (names ??= new Set()).add(trimmed)
  }
  return names
}

/** The headers sent to the upstream for one request. */
export function upstreamRequestHeaders (inbound: IncomingHttpHeaders, context: UpstreamHeaderContext): Record<string, string | string[]> {
  const listed = connectionListed(inbound.connection)
  const out: Record<string, string | string[]> = {}
  for (const name in inbound) {
    const value = inbound[name]
    if (value === undefined || DROP_UPSTREAM.has(name) || listed?.has(name) === true ||
        name.startsWith('x-forwarded-')) continue
    out[name] = value
  }
  // Overwrite, never merge: the application must not be able to choose the
  // identity Trulioo sees. On a route that is not pass-through the app's own
  // credentials are dropped even when the sidecar has none to put instead;
  // on a pass-through route they cross, so the sidecar can do mTLS alone.
  if (!(context.passThrough ?? context.authorization === undefined)) {
    delete out.authorization
    delete out['x-trulioo-api-key']
  }
  if (context.authorization !== undefined) out.authorization = context.authorization
  if (context.apiKey !== undefined) out['x-trulioo-api-key'] = context.apiKey
  out.host = context.host
  out['x-request-id'] = context.requestId
  return out
}

/**
 * The upstream's response headers as the application gets them. While the
 * sidecar drains, every answer closes its connection: a keep-alive client
 * must not hold the listener open until the grace period runs out.
 */
export function downstreamResponseHeaders (upstream: Record<string, unknown>, requestId: string, draining = false): Record<string, unknown> {
  const listed = connectionListed(upstream.connection)
  const out: Record<string, unknown> = {}
  for (const name in upstream) {
    const lower = name.toLowerCase()
    // The upstream's Connection: keep-alive must not override the app's Connection: close,
    // and only the sidecar may say a reply is its own error.
    if (DROP_DOWNSTREAM.has(lower) || listed?.has(lower) === true) continue
    out[lower] = upstream[name]
  }
  out['x-request-id'] = requestId
  if (draining) out.connection = 'close'
  return out
}
