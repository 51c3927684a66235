import { isIP } from 'node:net'
import { BlockList } from 'node:net'
import { ConfigError } from '../errors.js'
import { controlCharacterIn } from './header-secrets.js'
import type { Config } from './schema.js'

/**
 * Which corporate CONNECT proxy, if any, the calls to a host go through:
 * HTTPS_PROXY (https_proxy), else ALL_PROXY (all_proxy), unless NO_PROXY
 * (no_proxy) names the host, all with curl's rules. HTTP_PROXY is for
 * plain-http URLs and so is never used: every call the sidecar makes is https.
 */

/** The lowercase spellings curl reads, each before its uppercase one. */
export const PROXY_ENV_ALIASES = { https_proxy: 'HTTPS_PROXY', all_proxy: 'ALL_PROXY', no_proxy: 'NO_PROXY' } as const

/** curl's default proxy ports, when the URL names none. */
const DEFAULT_PORT = { 'http:': 1080, 'https:': 443 } as const

export interface EgressProxy {
  readonly protocol: 'http:' | 'https:'
  /** Host name or IP address (IPv6 without brackets). */
  readonly host: string
  readonly port: number
  /** The URL without credentials, path or query: what logs and /status show. */
  readonly shown: string
  /** Which variable named it. */
  readonly variable: 'HTTPS_PROXY' | 'ALL_PROXY'
}

/**
 * Copies the lowercase proxy variables onto their uppercase names. curl reads
 * the lowercase one first, so it wins when both are set.
 */
export function applyProxyAliases (source: NodeJS.ProcessEnv, out: Record<string, string>): void {
  for (const [lower, upper] of Object.entries(PROXY_ENV_ALIASES)) {
    const value = source[lower]
    if (typeof value === 'string') out[upper] = value
  }
}

/** The upstream's host (IPv6 without brackets) and port: what CONNECT asks for and NO_PROXY is matched against. */
export function upstreamTarget (config: Config): { host: string, port: number } {
  const url = new URL(config.UPSTREAM_URL)
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? 443 : Number(url.port) }
}

/** The configured proxy URL, parsed and checked; undefined when none is set. */
export function configuredProxy (config: Config): (EgressProxy & { readonly userinfo: string | undefined }) | undefined {
  const variable = config.HTTPS_PROXY !== undefined ? 'HTTPS_PROXY' : config.ALL_PROXY !== undefined ? 'ALL_PROXY' : undefined
  if (variable === undefined) return undefined
  const text = config[variable] as string
  // The URL parser drops tabs and line breaks wherever they are: the proxy or
  // the credentials used would silently differ from the ones written.
  const raw = controlCharacterIn(text)
  if (raw !== undefined) throw new ConfigError(variable, `holds a control character (${raw}): a URL cannot carry it`)
  let url: URL
  try {
    // curl takes a bare host[:port] as an http proxy
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`)
  } catch {
    throw new ConfigError(variable, 'is not a URL (expected http://host:port or https://host:port)')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(variable, `uses ${url.protocol.replace(':', '')}: only http:// and https:// proxies can carry the CONNECT tunnel`)
  }
  if (url.hostname === '') throw new ConfigError(variable, 'names no host')
  const protocol = url.protocol
  const port = url.port === '' ? DEFAULT_PORT[protocol] : Number(url.port)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  let userinfo: string | undefined
  if (url.username !== '' || url.password !== '') {
    try {
      userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
    } catch {
      throw new ConfigError(variable, 'holds credentials that are not valid percent-encoding')
    }
    // percent-encoded (%0D%0A), a control character survives the parser into the Proxy-Authorization header
    const found = controlCharacterIn(userinfo)
    if (found !== undefined) throw new ConfigError(variable, `holds proxy credentials with a control character (${found}), which no header can carry`)
  }
  return { protocol, host, port, shown: `${protocol}//${url.host}`, variable, userinfo }
}

/** The proxy the calls to `host:port` go through, or undefined when they go direct. */
export function egressProxyFor (config: Config, host: string, port: number): EgressProxy | undefined {
  const proxy = configuredProxy(config)
  if (proxy === undefined || noProxyMatches(config.NO_PROXY, host, port)) return undefined
  const { userinfo: _, ...shown } = proxy
  return shown
}

/**
 * The `Proxy-Authorization` value for the CONNECT: from the proxy URL's
 * userinfo or from EGRESS_PROXY_AUTH (its _FILE, read again on reload).
 */
export function egressProxyAuthorization (config: Config): string | undefined {
  const proxy = configuredProxy(config)
  if (proxy === undefined) return undefined
  if (proxy.userinfo !== undefined && config.EGRESS_PROXY_AUTH !== undefined) {
    throw new ConfigError('EGRESS_PROXY_AUTH', `set the proxy credentials either in ${proxy.variable} or in EGRESS_PROXY_AUTH(_FILE), not both`)
  }
  const pair = proxy.userinfo ?? config.EGRESS_PROXY_AUTH
  if (pair === undefined) return undefined
  if (config.EGRESS_PROXY_AUTH !== undefined && !pair.includes(':')) {
    const name = config.EGRESS_PROXY_AUTH_FILE === undefined ? 'EGRESS_PROXY_AUTH' : 'EGRESS_PROXY_AUTH_FILE'
    throw new ConfigError(name, 'must hold user:password')
  }
  return 'Basic ' + Buffer.from(pair, 'utf8').toString('base64')
}

/** Every problem of the proxy settings, for loadConfig to report with the rest. */
export function checkEgressProxy (config: Config, problems: ConfigError[]): void {
  try {
    egressProxyAuthorization(config)
  } catch (err) {
    if (err instanceof ConfigError) problems.push(err)
    else throw err
  }
  if (config.NO_PROXY !== undefined) {
    for (const entry of entries(config.NO_PROXY)) {
      if (/[\s/]/.test(entry) && parseCidr(entry) === undefined) problems.push(new ConfigError('NO_PROXY', `"${entry}" is neither a host name, an IP address nor a CIDR range`))
    }
  }
}

function entries (list: string): string[] {
  return list.split(',').map((e) => e.trim().toLowerCase()).filter((e) => e !== '')
}

/**
 * curl's NO_PROXY: `*` alone matches every host; otherwise each comma-separated
 * entry is a host name that matches itself and its subdomains (with or without
 * a leading dot), an IP address that matches itself, or an IP range in CIDR
 * notation. An entry may end in `:port` to match that port only.
 */
export function noProxyMatches (list: string | undefined, host: string, port: number): boolean {
  if (list === undefined) return false
  const name = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '')
  for (const raw of entries(list)) {
    if (raw === '*') return true
    let entry = raw
    let entryPort: number | undefined
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(raw)
    if (withPort !== null) {
      entry = withPort[1] as string
      entryPort = Number(withPort[2])
    }
    if (entryPort !== undefined && entryPort !== port) continue
    entry = entry.replace(/^\[|\]$/g, '')
    const cidr = parseCidr(entry)
    if (cidr !== undefined) {
      if (isIP(name) !== 0 && cidr.check(name, isIP(name) === 6 ? 'ipv6' : 'ipv4')) return true
      continue
    }
    if (isIP(entry) !== 0 || isIP(name) !== 0) {
      if (entry === name) return true
      continue
    }
    const domain = entry.replace(/^\*?\./, '').replace(/\.$/, '')
    if (name === domain || name.endsWith(`.${domain}`)) return true
  }
  return false
}

function parseCidr (entry: string): BlockList | undefined {
  const match = /^(.+)\/(\d{1,3})$/.exec(entry)
  if (match === null) return undefined
  const [address, bits] = [match[1] as string, Number(match[2])]
  const family = isIP(address)
  if (family === 0 || bits > (family === 4 ? 32 : 128)) return undefined
  const list = new BlockList()
  list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4')
  return list
}
