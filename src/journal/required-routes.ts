import { ConfigError } from '../errors.js'
import { KEYED_METHODS } from './idempotency-key.js'

export interface RequiredRoute {
  readonly method: string
  readonly prefix: string
  /** The prefix in lower case: matched regardless of case, as AUTH_ROUTES are (docs/how-it-works.md, the path rule). */
  readonly folded: string
}

/** The variables written as `METHOD /path-prefix` lists, and what their methods are limited to, for the message. */
export type RouteListVariable = 'IDEMPOTENCY_REQUIRED_ROUTES' | 'BILLABLE_ROUTES'

const METHODS_BECAUSE: Readonly<Record<RouteListVariable, string>> = {
  IDEMPOTENCY_REQUIRED_ROUTES: 'the only ones Idempotency-Key applies to',
  BILLABLE_ROUTES: 'the only ones whose answer is seen through and recorded'
}

const ENTRY = /^([A-Za-z]+)\s+(\/\S*)$/

/**
 * A comma-separated list of `METHOD /path-prefix` entries, the syntax of
 * IDEMPOTENCY_REQUIRED_ROUTES and BILLABLE_ROUTES. Problems go to `problems`,
 * one per bad entry and naming `variable`, so that start-up reports them all.
 */
export function parseRouteList (variable: RouteListVariable, value: string | undefined, problems: ConfigError[] = []): RequiredRoute[] {
  if (value === undefined) return []
  const routes: RequiredRoute[] = []
  for (const raw of value.split(',')) {
    const entry = raw.trim()
    if (entry === '') continue
    const match = ENTRY.exec(entry)
    if (match === null) {
      problems.push(new ConfigError(variable, `${JSON.stringify(entry.slice(0, 64))} is not \`METHOD /path-prefix\`, e.g. \`POST /verifications/v1/verify\``))
      continue
    }
    const method = (match[1] as string).toUpperCase()
    if (!KEYED_METHODS.has(method)) {
      problems.push(new ConfigError(variable, `${JSON.stringify(entry.slice(0, 64))}: the method must be POST or PATCH, ${METHODS_BECAUSE[variable]}`))
      continue
    }
    const prefix = match[2] as string
    routes.push({ method, prefix, folded: prefix.toLowerCase() })
  }
  return routes
}

/** IDEMPOTENCY_REQUIRED_ROUTES (empty by default). */
export function parseRequiredRoutes (value: string | undefined, problems: ConfigError[] = []): RequiredRoute[] {
  return parseRouteList('IDEMPOTENCY_REQUIRED_ROUTES', value, problems)
}

/**
 * Whether a request of `method` to `target` matches one of `routes`: the
 * method, and `target` starting with the prefix regardless of case. `target`
 * is the path as sent (../proxy/target.ts); a server that reads
 * `/VERIFICATIONS/…` as `/verifications/…` must not let that spelling escape.
 * Compared in place, character by character: nothing is built per request.
 */
export function routeMatches (routes: readonly RequiredRoute[], method: string, target: string): boolean {
  for (let r = 0; r < routes.length; r++) {
    const route = routes[r] as RequiredRoute
    if (route.method !== method) continue
    const prefix = route.folded
    if (target.length < prefix.length) continue
    let i = 0
    for (; i < prefix.length; i++) {
      let c = target.charCodeAt(i)
      if (c >= 65 && c <= 90) c += 32 // A-Z to a-z; the prefix is folded already
      if (c !== prefix.charCodeAt(i)) break
    }
    if (i === prefix.length) return true
  }
  return false
}

/** Whether a request of `method` to `target` must carry a key (IDEMPOTENCY_REQUIRED_ROUTES). */
export function keyRequired (routes: readonly RequiredRoute[], method: string, target: string): boolean {
  return routeMatches(routes, method, target)
}
