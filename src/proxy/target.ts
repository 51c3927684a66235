import type { IncomingMessage } from 'node:http'

/**
 * The request target that goes upstream, computed once per request (Fastify's
 * rewriteUrl, before routing): the route's credentials (AUTH_ROUTES) are
 * chosen from exactly this string, and exactly this string is sent. A target
 * whose meaning an HTTP stack downstream could change is refused instead of
 * being rewritten: `/./v3/x`, `/v3\x`, `/%2e/v3/x`, `//v3/x` or `/v3%2Fx`
 * would be sent as one path while a server or library along the way reads
 * another (new URL() alone turns `\` into `/` and drops dot segments).
 *
 * - absolute-form (`GET http://elsewhere/v3/x`) is reduced to its path: the
 *   authority never chooses where a request goes;
 * - percent-encoded unreserved characters are decoded (RFC 3986 §6.2.2.2:
 *   `%76%33` is `v3`, the same resource), so an encoding cannot hide a prefix;
 * - dot segments (raw or encoded), backslashes (raw or `%5C`), encoded
 *   slashes (`%2F`), empty segments (`//`) and broken escapes are refused.
 * Other forms (`*`) are left for admission to refuse.
 */

const refusals = new WeakMap<IncomingMessage, string>()

/** Fastify's rewriteUrl: the target to route and send; a refused one is kept as is and noted for admission. */
export function rewriteTarget (req: IncomingMessage): string {
  const url = req.url ?? '/'
  const result = upstreamTarget(url)
  if (typeof result === 'string') return result
  refusals.set(req, result.refusal)
  return url
}

/** Why admission must refuse the request's target (set by rewriteTarget), or undefined. */
export function targetRefusal (req: IncomingMessage): string | undefined {
  return refusals.get(req)
}

/** The target to send, or why it cannot be sent. */
export function upstreamTarget (url: string): string | { refusal: string } {
  let target = url
  if (url.charCodeAt(0) !== 47 /* / */) {
    const path = absolutePath(url)
    if (path === undefined) return url // not a URL: admission refuses it as not a path
    if (typeof path !== 'string') return path
    target = path
  }
  const q = target.indexOf('?')
  const path = q === -1 ? target : target.slice(0, q)
  // the common case, answered without a second pass
  if (path.indexOf('%') === -1 && path.indexOf('\\') === -1 && path.indexOf('//') === -1 && path.indexOf('/.') === -1) return target
  const normal = normalisePath(path)
  if (typeof normal !== 'string') return normal
  return q === -1 ? normal : normal + target.slice(q)
}

const ABSOLUTE = /^https?:\/\/[^/\\?#]*/i

/** The path of an absolute-form target; undefined when it is not one. */
function absolutePath (url: string): string | { refusal: string } | undefined {
  const authority = ABSOLUTE.exec(url)
  if (authority === null) return undefined
  const rest = url.slice(authority[0].length)
  if (rest.charCodeAt(0) === 92 /* \ */) return { refusal: 'a backslash' }
  const hash = rest.indexOf('#')
  const path = hash === -1 ? rest : rest.slice(0, hash)
  return path === '' || path.charCodeAt(0) === 63 /* ? */ ? `/${path}` : path
}

const UNRESERVED = /[A-Za-z0-9\-._~]/

function normalisePath (path: string): string | { refusal: string } {
  if (path.indexOf('\\') !== -1) return { refusal: 'a backslash' }
  let out = ''
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string
    if (c !== '%') {
      out += c
      continue
    }
    const hex = path.slice(i + 1, i + 3)
    if (!/^[\dA-Fa-f]{2}$/.test(hex)) return { refusal: 'a broken percent-encoding' }
    const decoded = String.fromCharCode(Number.parseInt(hex, 16))
    if (decoded === '/' ) return { refusal: 'an encoded slash (%2F)' }
    if (decoded === '\\') return { refusal: 'an encoded backslash (%5C)' }
    out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`
    i += 2
  }
  const segments = out.split('/')
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]
    if (segment === '.' || segment === '..') return { refusal: 'a dot segment (. or ..)' }
    // a trailing slash is an empty last segment, and fine
    if (segment === '' && i < segments.length - 1) return { refusal: 'an empty segment (//)' }
  }
  return out
}
