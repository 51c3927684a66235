import { ConfigError } from '../errors.js'
import type { Config } from '../config/schema.js'

/** Where the journal is kept, as IDEMPOTENCY_STORE says (validated by loadConfig). */
export type StoreLocation =
  | { readonly kind: 'memory' }
  | {
    readonly kind: 'redis'
    /** The URL without its userinfo: what /status, `check` and the log show. */
    readonly shown: string
    readonly host?: string
    readonly port?: number
    /** A UNIX socket, with `unix://`. */
    readonly path?: string
    readonly tls: boolean
    readonly db: number
    readonly username?: string
    /** From the URL or IDEMPOTENCY_STORE_PASSWORD: never shown, never logged. */
    readonly password?: string
  }

const MEMORY: StoreLocation = Object.freeze({ kind: 'memory' })

/**
 * IDEMPOTENCY_STORE read: unset or `memory`, `redis://[user:password@]host[:port][/db]`,
 * `rediss://…` (TLS), `unix:///path/to/redis.sock`. Problems go to `problems`
 * (and memory is returned); no message ever holds the URL, which may carry a
 * password.
 */
export function storeLocation (config: Readonly<Config>, problems?: ConfigError[]): StoreLocation {
  const value = config.IDEMPOTENCY_STORE
  const refuse = (message: string): StoreLocation => {
    if (problems === undefined) throw new ConfigError('IDEMPOTENCY_STORE', message)
    problems.push(new ConfigError('IDEMPOTENCY_STORE', message))
    return MEMORY
  }
  if (value === undefined || value === 'memory') {
    for (const name of ['IDEMPOTENCY_ENCRYPTION_KEY', 'IDEMPOTENCY_STORE_PASSWORD', 'IDEMPOTENCY_STORE_CA_FILE'] as const) {
      if (config[name] !== undefined) return refuse(`is memory (the default), and ${name} applies only to a shared store (redis://, rediss://, unix://): set IDEMPOTENCY_STORE, or unset ${name}`)
    }
    return MEMORY
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return refuse('is neither `memory` nor a URL such as redis://127.0.0.1:6379, rediss://redis.example:6380 or unix:///run/redis/redis.sock')
  }
  const protocol = url.protocol
  if (protocol !== 'redis:' && protocol !== 'rediss:' && protocol !== 'unix:') {
    return refuse(`must be memory, redis://, rediss:// or unix:// (got ${protocol.replace(':', '').slice(0, 16)}://)`)
  }
  const inUrl = url.password === '' ? undefined : decodeURIComponent(url.password)
  if (inUrl !== undefined && config.IDEMPOTENCY_STORE_PASSWORD !== undefined) {
    return refuse('carries a password and IDEMPOTENCY_STORE_PASSWORD is set too: keep one')
  }
  if (config.IDEMPOTENCY_STORE_CA_FILE !== undefined && protocol !== 'rediss:') {
    return refuse('IDEMPOTENCY_STORE_CA_FILE applies to rediss:// (TLS) only')
  }
  if (url.search !== '' || url.hash !== '') return refuse('must have no ?query or #fragment')
  const password = inUrl ?? config.IDEMPOTENCY_STORE_PASSWORD
  const username = url.username === '' ? undefined : decodeURIComponent(url.username)
  const secret = { ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }) }
  if (protocol === 'unix:') {
    if (url.host !== '' || url.pathname === '' || url.pathname === '/') return refuse('with unix:// names a socket by its absolute path: unix:///run/redis/redis.sock')
    const path = decodeURIComponent(url.pathname)
    return Object.freeze({ kind: 'redis', shown: `unix://${path}`, path, tls: false, db: 0, ...secret })
  }
  if (url.hostname === '') return refuse('names no host')
  const db = url.pathname === '' || url.pathname === '/' ? '0' : url.pathname.slice(1)
  if (!/^[0-9]{1,4}$/.test(db)) return refuse('may have a database number as its only path (redis://host:6379/0), nothing else')
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const port = url.port === '' ? 6379 : Number(url.port)
  return Object.freeze({ kind: 'redis', shown: `${protocol}//${url.host}/${db}`, host, port, tls: protocol === 'rediss:', db: Number(db), ...secret })
}

/**
 * IDEMPOTENCY_ENCRYPTION_KEY: 32 bytes written as 64 hex characters. Required
 * with a shared store; anything else in it stops start-up (ENCRYPTION_KEY_INVALID).
 */
export function encryptionKey (config: Readonly<Config>, location: StoreLocation, problems?: ConfigError[]): Buffer | undefined {
  if (location.kind !== 'redis') return undefined
  const subject = config.IDEMPOTENCY_ENCRYPTION_KEY_FILE === undefined ? 'IDEMPOTENCY_ENCRYPTION_KEY' : 'IDEMPOTENCY_ENCRYPTION_KEY_FILE'
  const refuse = (message: string): undefined => {
    const error = new ConfigError(subject, message, { code: 'ENCRYPTION_KEY_INVALID' })
    if (problems === undefined) throw error
    problems.push(error)
    return undefined
  }
  const value = config.IDEMPOTENCY_ENCRYPTION_KEY
  if (value === undefined) return refuse('is required with a shared IDEMPOTENCY_STORE: the kept answers hold people\'s identity data and are encrypted there; write 32 random bytes as 64 hex characters (`openssl rand -hex 32 > key`) and give every sidecar sharing the store the same file')
  // the value is a secret: the message says what is wrong with it, never what it is
  if (!/^[0-9a-fA-F]*$/.test(value)) return refuse(`must hold 64 hex characters (0-9, a-f) and nothing else; it holds ${value.length} characters, some of them not hex`)
  if (value.length !== 64) return refuse(`must hold 64 hex characters (32 bytes); it holds ${value.length}`)
  return Buffer.from(value, 'hex')
}

/** Checks IDEMPOTENCY_STORE and the encryption key with the other settings (loadConfig). */
export function checkJournalStore (config: Readonly<Config>, problems: ConfigError[]): void {
  const before = problems.length
  const location = storeLocation(config, problems)
  if (problems.length === before) encryptionKey(config, location, problems)
}
