import { ConfigError } from '../errors.js'
import { KEYED_METHODS } from './idempotency-key.js'

export interface RequiredRoute {
  readonly method: string
  readonly prefix: string
  /** The prefix in lower case: matched regardless of case, as AUTH_ROUTES are (docs/how-it-works.md, the path rule). */
  readonly folded: string
}

const ENTRY = /^([A-Za-z]+)\s+(\/\S*)$/

/**
 * IDEMPOTENCY_REQUIRED_ROUTES: comma-separated `METHOD /path-prefix` entries
 * (the syntax BILLABLE_ROUTES will share). Problems go to `problems`, one per
 * bad entry, so that start-up reports them all.
 */
export function parseRequiredRoutes (value: string | undefined, problems: ConfigError[] = []): RequiredRoute[] {
  if (value === undefined) return []
  const routes: RequiredRoute[] = []
  for (const raw of value.split(',')) {
    const entry = raw.trim()
    if (entry === '') continue
    const match = ENTRY.exec(entry)
    if (match === null) {
      problems.push(new ConfigError('IDEMPOTENCY_REQUIRED_ROUTES', `${JSON.stringify(entry.slice(0, 64))} is not \`METHOD /path-prefix\`, e.g. \`POST /verifications/v1/verify\``))
      continue
    }
    const method = (match[1] as string).toUpperCase()
    if (!KEYED_METHODS.has(method)) {
      problems.push(new ConfigError('IDEMPOTENCY_REQUIRED_ROUTES', `${JSON.stringify(entry.slice(0, 64))}: the method must be POST or PATCH, the only ones Idempotency-Key applies to`))
      continue
    }
    const prefix = match[2] as string
    routes.push({ method, prefix, folded: prefix.toLowerCase() })
  }
  return routes
}

/**
 * Whether a request of `method` to `target` must carry a key. `target` is the
 * path as sent (../proxy/target.ts); a server that reads `/VERIFICATIONS/…` as
 * `/verifications/…` must not let that spelling escape the rule.
 */
export function keyRequired (routes: readonly RequiredRoute[], method: string, target: string): boolean {
  if (routes.length === 0) return false
  return routes.some((route) => route.method === method && target.length >= route.folded.length &&
    target.slice(0, route.folded.length).toLowerCase() === route.folded)
}
