import type { Config } from '../config/schema.js'
import { DEFAULT_AUTH_ROUTES } from '../config/schema.js'
import { ConfigError } from '../errors.js'

/**
 * Which credentials each request carries upstream, by path prefix
 * (AUTH_ROUTES): Basic for NAPI v1, a Bearer token per OAuth2 scope for NAPI
 * v3 and Workflow Studio, the self-serve gateway's API key, or nothing of the
 * sidecar's own (pass-through). The table is parsed and resolved once, at
 * start-up; a request only walks a handful of prefixes.
 */

export type AuthScheme =
  | { readonly kind: 'basic' }
  | { readonly kind: 'oauth2', readonly scope: string }
  | { readonly kind: 'api-key' }
  | { readonly kind: 'pass-through' }

export interface AuthRoute {
  readonly prefix: string
  /** The scheme requests under this prefix use. */
  readonly scheme: AuthScheme
  /** Default table only: the scheme the table names, when it gave way for want of credentials. */
  readonly gaveWay?: AuthScheme
}

export class AuthRoutes {
  /** Longest prefix first: the first that matches wins. */
  readonly routes: readonly AuthRoute[]
  /** True when AUTH_ROUTES was not set and the default table applies. */
  readonly fromDefault: boolean

  /** Every prefix, longest first, in one case-insensitive alternation: one exec per request. */
  readonly #matcher: RegExp

  constructor (routes: readonly AuthRoute[], fromDefault: boolean) {
    this.routes = [...routes].sort((a, b) => b.prefix.length - a.prefix.length)
    this.fromDefault = fromDefault
    this.#matcher = new RegExp(`^(?:${this.routes.map((r) => `(${r.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`).join('|') || '(?!)'})`, 'i')
  }

  /**
   * The route for a request target as it goes upstream (../proxy/target.ts has
   * made it canonical: no dot segments, no encoded letters). Prefixes match
   * without regard to case: a server that reads `/V3/x` as `/v3/x` must get
   * the credentials of `/v3/`.
   */
  match (target: string): AuthRoute {
    const found = this.#matcher.exec(target)
    if (found === null) return PASS_THROUGH_ROUTE
    for (let i = 1; i < found.length; i++) if (found[i] !== undefined) return this.routes[i - 1] as AuthRoute
    return PASS_THROUGH_ROUTE
  }

  /** Every OAuth2 scope a route uses, in name order: a token is kept for each. */
  get scopes (): string[] {
    const scopes = new Set<string>()
    for (const route of this.routes) if (route.scheme.kind === 'oauth2') scopes.add(route.scheme.scope)
    return [...scopes].sort()
  }
}

const PASS_THROUGH: AuthScheme = { kind: 'pass-through' }
const PASS_THROUGH_ROUTE: AuthRoute = { prefix: '', scheme: PASS_THROUGH }

/** An RFC 6749 scope-token: printable ASCII without space, `"` or `\`. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/
/** A path prefix: starts with `/`, no whitespace, query, fragment, `,` or `=`. */
const PREFIX = /^\/[^\s?#,=]{0,511}$/

export function schemeName (scheme: AuthScheme): string {
  return scheme.kind === 'oauth2' ? `oauth2:${scheme.scope}` : scheme.kind
}

/** Whether the credentials a scheme needs are configured. */
export function credentialsFor (scheme: AuthScheme, config: Config): boolean {
  switch (scheme.kind) {
    case 'basic': return config.TRULIOO_USERNAME !== undefined && config.TRULIOO_PASSWORD !== undefined
    case 'oauth2': return config.TRULIOO_CLIENT_ID !== undefined && config.TRULIOO_CLIENT_SECRET !== undefined
    case 'api-key': return config.TRULIOO_API_KEY !== undefined
    case 'pass-through': return true
  }
}

const NEEDS: Record<AuthScheme['kind'], string> = {
  basic: 'TRULIOO_USERNAME and TRULIOO_PASSWORD',
  oauth2: 'TRULIOO_CLIENT_ID and TRULIOO_CLIENT_SECRET',
  'api-key': 'TRULIOO_API_KEY',
  'pass-through': 'nothing'
}

function shown (text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text)
}

/** Parses `PATH_PREFIX=SCHEME,…`; every problem is a ConfigError naming AUTH_ROUTES. */
export function parseAuthRoutes (text: string, problems: ConfigError[]): AuthRoute[] {
  const routes: AuthRoute[] = []
  const seen = new Set<string>()
  const entries = text.split(',')
  entries.forEach((raw, i) => {
    const entry = raw.trim()
    const where = `entry ${i + 1} (${shown(entry)})`
    const problem = (message: string): void => { problems.push(new ConfigError('AUTH_ROUTES', `${where} ${message}`)) }
    if (entry === '') return problem('is empty: write PATH_PREFIX=SCHEME, separated by commas')
    const at = entry.indexOf('=')
    if (at < 0) return problem('has no "=": write PATH_PREFIX=SCHEME, such as /v3/=oauth2:napi.api')
    const prefix = entry.slice(0, at).trim()
    const schemeText = entry.slice(at + 1).trim()
    if (!PREFIX.test(prefix)) return problem('needs a path prefix that starts with "/" and holds no space, "?", "#", "," or "="')
    if (seen.has(prefix)) return problem(`repeats the prefix ${prefix}: each prefix may appear once`)
    seen.add(prefix)
    const scheme = parseScheme(schemeText)
    if (scheme === undefined) {
      return problem(schemeText.startsWith('oauth2:')
        ? 'has an invalid OAuth2 scope: one scope token, printable ASCII without spaces, quotes or backslashes'
        : 'has an unknown scheme: use basic, oauth2:SCOPE, api-key or pass-through')
    }
    routes.push({ prefix, scheme })
  })
  return routes
}

function parseScheme (text: string): AuthScheme | undefined {
  if (text === 'basic' || text === 'api-key' || text === 'pass-through') return { kind: text }
  if (text.startsWith('oauth2:')) {
    const scope = text.slice('oauth2:'.length)
    return SCOPE.test(scope) ? { kind: 'oauth2', scope } : undefined
  }
  return undefined
}

/**
 * The table in force. Set by the user, every route's credentials must be
 * configured. The default table gives way instead: a route whose credentials
 * are missing takes the scheme of the next shorter matching prefix, and in
 * the end pass-through, so every configuration that worked before AUTH_ROUTES
 * existed behaves exactly as it did.
 */
export function resolveAuthRoutes (config: Config, problems: ConfigError[] = []): AuthRoutes {
  const fromDefault = config.AUTH_ROUTES === undefined
  const parsed = parseAuthRoutes(config.AUTH_ROUTES ?? DEFAULT_AUTH_ROUTES, problems)
  if (!fromDefault) {
    for (const route of parsed) {
      if (!credentialsFor(route.scheme, config)) {
        problems.push(new ConfigError('AUTH_ROUTES', `the route ${route.prefix}=${schemeName(route.scheme)} needs ${NEEDS[route.scheme.kind]}, which are not configured`))
      }
    }
    return new AuthRoutes(parsed, false)
  }
  const resolved: AuthRoute[] = []
  // shortest first, so a route's shorter prefixes are resolved before it
  for (const route of [...parsed].sort((a, b) => a.prefix.length - b.prefix.length)) {
    if (credentialsFor(route.scheme, config)) {
      resolved.push(route)
      continue
    }
    const shorter = new AuthRoutes(resolved, true).match(route.prefix)
    resolved.push({ prefix: route.prefix, scheme: shorter.scheme, gaveWay: route.scheme })
  }
  return new AuthRoutes(resolved, true)
}

/** loadConfig's check: a malformed table, or a route without its credentials. */
export function checkAuthRoutes (config: Config, problems: ConfigError[]): void {
  resolveAuthRoutes(config, problems)
}

/** The table as /status and the start-up log show it. */
export function describeRoutes (routes: AuthRoutes): Array<{ prefix: string, scheme: string, gaveWay?: string }> {
  return routes.routes.map((r) => ({ prefix: r.prefix, scheme: schemeName(r.scheme), ...(r.gaveWay === undefined ? {} : { gaveWay: `${schemeName(r.gaveWay)} (${NEEDS[r.gaveWay.kind]} not configured)` }) }))
}
