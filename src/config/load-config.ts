import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { parseEnv } from 'node:util'
import { ConfigError, ConfigErrors } from '../errors.js'
import { checkAuthRoutes } from '../auth/auth-routes.js'
import { applyProxyAliases, checkEgressProxy } from './egress-proxy.js'
import { checkHeaderSecrets } from './header-secrets.js'
import { describeFsError, readFileSafely } from './read-file-safely.js'
import validateEnv from './env-validator.js'
import { type Config, CONFIG_VARIABLES, ConfigSchema, RELOADED_SECRETS, SECRET_VARIABLES, type SecretVariable } from './schema.js'
import { parseRequiredRoutes, parseRouteList } from '../journal/required-routes.js'
import { checkJournalStore } from '../journal/store-location.js'

export interface LoadConfigOptions {
  /** The environment to read; `process.env` by default. */
  env?: NodeJS.ProcessEnv
  /** Path of the optional `.env` file; a missing file is fine. Default `./.env`. */
  envFile?: string | false
}

type Raw = Record<string, string>

/**
 * Reads the environment (over an optional `.env` file), resolves every
 * `<SECRET>_FILE`, validates against the schema and the rules that span
 * several settings, and returns a frozen Config. Every problem found is
 * reported at once as ConfigErrors; no message ever holds a secret's value.
 */
export function loadConfig (options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env
  const raw: Raw = { ...readDotenv(options.envFile ?? '.env'), ...pickKnown(env) }
  const problems: ConfigError[] = []

  // An empty value is the same as an unset one: compose and Kubernetes both
  // make it easy to write `X=` by accident.
  for (const name of Object.keys(raw)) if (raw[name] === '') delete raw[name]

  for (const name of SECRET_VARIABLES) resolveSecretFile(raw, name, problems)
  checkHeaderSecrets(raw, problems)
  checkIntegerSyntax(raw, problems)

  // The schema compiled at build time with env-schema's Ajv options: defaults
  // filled, strings coerced, unknown properties removed, all in place.
  const parsed: Record<string, unknown> = { ...raw }
  if (!validateEnv(parsed)) problems.push(...schemaProblems(validateEnv.errors ?? []))

  if (problems.length === 0) checkRelations(parsed as Config, problems)
  if (problems.length > 0) throw new ConfigErrors(problems)
  return Object.freeze(parsed) as Config
}

function readDotenv (path: string | false): Raw {
  if (path === false) return {}
  let text: string
  try {
    text = readFileSafely(resolve(path), { encoding: 'utf8' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new ConfigErrors([new ConfigError(path, `cannot read the .env file: ${describeFsError(err)}`, { code: 'FILE_UNREADABLE' })])
  }
  return pickKnown(parseEnv(text) as NodeJS.ProcessEnv)
}

function pickKnown (source: NodeJS.ProcessEnv): Raw {
  const out: Raw = {}
  for (const name of CONFIG_VARIABLES) {
    const value = source[name]
    if (typeof value === 'string') out[name] = value
  }
  applyProxyAliases(source, out)
  return out
}

function resolveSecretFile (raw: Raw, name: string, problems: ConfigError[]): void {
  const fileVar = `${name}_FILE`
  const path = raw[fileVar]
  if (path === undefined) return
  if (raw[name] !== undefined) {
    problems.push(new ConfigError(name, `set either ${name} or ${fileVar}, not both`))
    return
  }
  try {
    const value = readSecretFile(path)
    if (value === '') problems.push(new ConfigError(fileVar, `${path} is empty`))
    else raw[name] = value
  } catch (err) {
    problems.push(new ConfigError(fileVar, `cannot read ${path}: ${describeFsError(err)}`, { code: 'FILE_UNREADABLE' }))
  }
}

/**
 * The configuration a reload uses: every setting as it was at start-up (the
 * proxy was built with them), with the RELOADED_SECRETS (schema.ts) read
 * again from their files. The identity files themselves are read by
 * loadIdentity. PROXY_AUTH_TOKEN is deliberately not reloaded.
 */
export function rereadSecretFiles (config: Config): Config {
  const raw: Raw = {}
  const problems: ConfigError[] = []
  for (const name of RELOADED_SECRETS) {
    const path = config[`${name}_FILE`]
    if (path === undefined) continue
    raw[`${name}_FILE`] = path
    resolveSecretFile(raw, name, problems)
  }
  // a secret that gained a CR LF keeps the old one in force, like a bad certificate
  checkHeaderSecrets(raw, problems)
  if (raw.TRULIOO_USERNAME?.includes(':') === true) {
    problems.push(new ConfigError('TRULIOO_USERNAME_FILE', 'holds a username with ":" (Basic auth cannot carry it)'))
  }
  if (problems.length > 0) throw new ConfigErrors(problems)
  const fresh: Partial<Record<SecretVariable, string>> = {}
  for (const name of RELOADED_SECRETS) if (raw[name] !== undefined) fresh[name] = raw[name]
  return Object.freeze({ ...config, ...fresh })
}

/** Reads a secret file, dropping one trailing newline (what `echo` and editors add). */
export function readSecretFile (path: string): string {
  const text = readFileSafely(path, { encoding: 'utf8' })
  if (text.endsWith('\r\n')) return text.slice(0, -2)
  if (text.endsWith('\n')) return text.slice(0, -1)
  return text
}

export { describeFsError }

/** The integer settings, from the schema. */
const INTEGER_VARIABLES = CONFIG_VARIABLES.filter((name) =>
  (ConfigSchema.properties as Record<string, { type?: string }>)[name]?.type === 'integer')

/**
 * An integer setting is plain decimal digits. The schema's coercion alone
 * takes `1e309` as Infinity (which then passes as an integer: a port or a
 * timeout of Infinity), `0x10` as 16 and ` 5` as 5: say what is wrong instead.
 * The maximum of each setting is the schema's (every integer has one).
 */
function checkIntegerSyntax (raw: Raw, problems: ConfigError[]): void {
  for (const name of INTEGER_VARIABLES) {
    const value = raw[name]
    if (value === undefined || /^[0-9]{1,16}$/.test(value)) continue
    const shown = value.length > 24 ? `${value.slice(0, 24)}…` : value
    const example = (ConfigSchema.properties as Record<string, { default?: unknown }>)[name]?.default ?? 30
    problems.push(new ConfigError(name, `must be a whole number written in decimal digits, such as ${String(example)} (got ${JSON.stringify(shown)})`))
    // reported here: the schema need not report it again
    delete raw[name]
  }
}

interface AjvError { instancePath?: string, message?: string, params?: Record<string, unknown> }

/** One ConfigError per setting the schema refused, from ajv's error objects. */
export function schemaProblems (errors: readonly AjvError[]): ConfigError[] {
  const seen = new Set<string>()
  const out: ConfigError[] = []
  for (const e of errors) {
    const name = (e.instancePath ?? '').replace(/^\//, '') || 'configuration'
    // A union (LOG_LEVEL) yields one error per branch; say it once, with the choices.
    if (seen.has(name)) continue
    seen.add(name)
    const allowed = schemaAllowed(name)
    out.push(new ConfigError(name, allowed ? `must be one of ${allowed}` : e.message ?? 'is invalid'))
  }
  return out
}

function schemaAllowed (name: string): string | undefined {
  if (name === 'LOG_LEVEL') return 'fatal, error, warn, info, debug, trace, silent'
  return undefined
}

function checkRelations (config: Config, problems: ConfigError[]): void {
  checkUpstreamUrl(config.UPSTREAM_URL, problems)

  const hasPem = config.TLS_CERT_FILE !== undefined || config.TLS_KEY_FILE !== undefined
  if (config.TLS_IDENTITIES_DIR !== undefined) {
    // the set replaces the one identity: two sources of the certificate would leave it unclear which serves
    for (const name of ['TLS_CERT_FILE', 'TLS_KEY_FILE', 'TLS_PFX_FILE', 'TLS_PASSPHRASE'] as const) {
      if (config[name] !== undefined) problems.push(new ConfigError(name, 'set either TLS_IDENTITIES_DIR or the one identity (TLS_CERT_FILE, TLS_KEY_FILE, TLS_PFX_FILE, TLS_PASSPHRASE), not both: each member of the directory has its own passphrase file'))
    }
  } else if (config.TLS_PFX_FILE !== undefined && hasPem) {
    problems.push(new ConfigError('TLS_PFX_FILE', 'set either TLS_PFX_FILE or TLS_CERT_FILE with TLS_KEY_FILE, not both'))
  } else if (config.TLS_PFX_FILE === undefined) {
    if (config.TLS_CERT_FILE === undefined) {
      problems.push(new ConfigError('TLS_CERT_FILE', 'is required (or TLS_PFX_FILE): the client certificate Trulioo issued'))
    }
    if (config.TLS_KEY_FILE === undefined) {
      problems.push(new ConfigError('TLS_KEY_FILE', 'is required with TLS_CERT_FILE: the private key of the client certificate'))
    }
  }

  if ((config.TRULIOO_USERNAME === undefined) !== (config.TRULIOO_PASSWORD === undefined)) {
    const missing = config.TRULIOO_USERNAME === undefined ? 'TRULIOO_USERNAME' : 'TRULIOO_PASSWORD'
    problems.push(new ConfigError(missing, 'is required when the other NAPI credential is set'))
  }
  if (config.TRULIOO_USERNAME?.includes(':')) {
    problems.push(new ConfigError('TRULIOO_USERNAME', 'must not contain ":" (Basic auth cannot carry it)'))
  }
  for (const name of ['LISTEN_HOST', 'ADMIN_HOST'] as const) {
    const value = config[name]
    if (isIP(value) === 0 && !isHostName(value)) {
      problems.push(new ConfigError(name, `must be an IP address (IPv6 without brackets) or a host name, not ${JSON.stringify(value.slice(0, 64))}`))
    }
  }
  if (config.TLS_SERVERNAME !== undefined) {
    if (isIP(config.TLS_SERVERNAME) !== 0) {
      problems.push(new ConfigError('TLS_SERVERNAME', 'must be a DNS name: SNI does not carry IP addresses'))
    } else if (!isHostName(config.TLS_SERVERNAME)) {
      problems.push(new ConfigError('TLS_SERVERNAME', 'must be a valid host name: letters, digits and hyphens in dot-separated labels of 1 to 63 characters'))
    }
  }
  if ((config.TRULIOO_CLIENT_ID === undefined) !== (config.TRULIOO_CLIENT_SECRET === undefined)) {
    const missing = config.TRULIOO_CLIENT_ID === undefined ? 'TRULIOO_CLIENT_ID' : 'TRULIOO_CLIENT_SECRET'
    problems.push(new ConfigError(missing, 'is required when the other OAuth2 client credential is set'))
  }
  checkTokenUrl(config.TOKEN_URL, problems)
  checkAuthRoutes(config, problems)
  parseRequiredRoutes(config.IDEMPOTENCY_REQUIRED_ROUTES, problems)
  parseRouteList('BILLABLE_ROUTES', config.BILLABLE_ROUTES, problems)
  checkJournalStore(config, problems)
  checkEgressProxy(config, problems)
}

function checkTokenUrl (value: string, problems: ConfigError[]): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    problems.push(new ConfigError('TOKEN_URL', 'is not a URL'))
    return
  }
  if (url.protocol !== 'https:') {
    problems.push(new ConfigError('TOKEN_URL', `must use https (got ${url.protocol.replace(':', '')}): the client secret never travels in clear`))
  } else if (url.username !== '' || url.password !== '') {
    problems.push(new ConfigError('TOKEN_URL', 'must not carry credentials; use TRULIOO_CLIENT_ID and TRULIOO_CLIENT_SECRET'))
  } else if (url.hash !== '') {
    problems.push(new ConfigError('TOKEN_URL', 'must not have a #fragment'))
  }
}

function checkUpstreamUrl (value: string, problems: ConfigError[]): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    problems.push(new ConfigError('UPSTREAM_URL', 'is not a URL'))
    return
  }
  if (url.protocol !== 'https:') {
    problems.push(new ConfigError('UPSTREAM_URL', `must use https (got ${url.protocol.replace(':', '')}): the sidecar only speaks mutual TLS upstream`))
  } else if (url.username !== '' || url.password !== '') {
    problems.push(new ConfigError('UPSTREAM_URL', 'must not carry credentials; use TRULIOO_USERNAME and TRULIOO_PASSWORD'))
  } else if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    problems.push(new ConfigError('UPSTREAM_URL', 'must be an origin such as https://mtls.primary.prod.trulioo.com, without path or query'))
  }
}

/** A host name as RFC 1123 has it: dot-separated labels of letters, digits and inner hyphens, 253 characters at most. */
export function isHostName (value: string): boolean {
  if (value.length === 0 || value.length > 253) return false
  const labels = value.split('.')
  // an all-digit last label is a mistyped address (999.1.1.1), never a name (RFC 3696)
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return false
  return labels.every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(label))
}

/** The upstream origin as a URL (validated by loadConfig). */
export function upstreamOrigin (config: Config): URL {
  return new URL(config.UPSTREAM_URL)
}

/**
 * The name sent as SNI and checked in the upstream's certificate. Undefined
 * when the upstream is an IP literal and no TLS_SERVERNAME is set: then no SNI
 * is sent and the certificate must name that IP address.
 */
export function upstreamServername (config: Config): string | undefined {
  if (config.TLS_SERVERNAME !== undefined) return config.TLS_SERVERNAME
  const host = upstreamOrigin(config).hostname.replace(/^\[|\]$/g, '')
  return isIP(host) === 0 ? host : undefined
}

/** True for addresses that only this host can reach. */
export function isLoopbackHost (host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true
  return isIP(host) === 4 && host.startsWith('127.')
}
