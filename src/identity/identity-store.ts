import { EventEmitter } from 'node:events'
import { type Clock, SYSTEM_CLOCK } from '../clock.js'
import type { Config } from '../config/schema.js'
import { ConfigError, ConfigErrors } from '../errors.js'
import { egressProxyAuthorization } from '../config/egress-proxy.js'
import type { ClientCredentials } from '../auth/token-client.js'
import { basicAuthorization } from './basic-auth.js'
import { type Identity, loadIdentity } from './load-identity.js'
import { watchedPaths } from './watched-paths.js'

export interface ReloadOutcome {
  readonly at: Date
  readonly ok: boolean
  /** One line naming the variable or file and what is wrong; never a secret. */
  readonly error?: string
  readonly serialNumber?: string
}

export interface IdentityStoreOptions {
  /** The configuration for a reload, with its secret files read again. */
  reloadConfig?: () => Config
  /** Non-fatal findings of a load, such as a key file others can read. */
  warn?: (warning: ConfigError) => void
  /** Validity is judged and reloads are stamped on it (the sidecar's one clock). */
  clock?: Pick<Clock, 'now'>
}

/** What the sidecar injects upstream, built once per load. */
export interface Credentials {
  /** The Basic `Authorization` value, or undefined when none is configured. */
  readonly authorization: string | undefined
  /** The Basic `Proxy-Authorization` value for the egress proxy's CONNECT, or undefined. */
  readonly egressProxyAuthorization: string | undefined
  /** The self-serve gateway's API key (TRULIOO_API_KEY), or undefined. */
  readonly apiKey: string | undefined
  /** The OAuth2 client credentials, handed only to the token client, or undefined. */
  readonly oauthClient: ClientCredentials | undefined
}

interface Loaded {
  readonly config: Config
  readonly identity: Identity
  readonly credentials: Credentials
}

/**
 * The only owner of key material and credentials. It loads and validates an
 * identity and, on reload, swaps in a new one only once everything about it
 * checked out: a bad new identity never replaces a good one. It hands out the
 * identity and the credentials, nothing else: the upstream pool that uses the
 * identity listens for `identity` and builds its own connections.
 *
 * Events: `identity` (Identity), emitted before `reload` (ReloadOutcome).
 */
export class IdentityStore extends EventEmitter {
  #loaded: Loaded
  #lastReload: ReloadOutcome | undefined
  #closed = false
  readonly #options: IdentityStoreOptions

  /** Loads the first identity; throws ConfigError when it is not usable. */
  constructor (config: Config, options: IdentityStoreOptions = {}) {
    super()
    this.#options = options
    this.#loaded = this.#load(config)
  }

  get identity (): Identity { return this.#loaded.identity }
  get credentials (): Credentials { return this.#loaded.credentials }
  /** The Basic `Authorization` value to inject, or undefined for pass-through. */
  get authorization (): string | undefined { return this.#loaded.credentials.authorization }
  get lastReload (): ReloadOutcome | undefined { return this.#lastReload }
  /** The files the identity and credentials are read from: what a watcher watches. */
  get files (): readonly string[] { return watchedPaths(this.#loaded.config) }

  /**
   * Reads configuration and files again and swaps in the new identity if,
   * and only if, all of it is valid. Never throws.
   */
  reload (): ReloadOutcome {
    const at = new Date((this.#options.clock ?? SYSTEM_CLOCK).now())
    if (this.#closed) {
      // a pool built now would never be closed
      return { at, ok: false, error: 'the sidecar is shutting down: no reload' }
    }
    let outcome: ReloadOutcome
    try {
      const config = this.#options.reloadConfig?.() ?? this.#loaded.config
      this.#loaded = this.#load(config)
      outcome = { at, ok: true, serialNumber: this.#loaded.identity.info.serialNumber }
      this.emit('identity', this.#loaded.identity)
    } catch (err) {
      outcome = { at, ok: false, error: describeLoadError(err) }
    }
    this.#lastReload = outcome
    this.emit('reload', outcome)
    return outcome
  }

  /** No reload after this: the sidecar is stopping. */
  close (): void {
    this.#closed = true
  }

  #load (config: Config): Loaded {
    const now = new Date((this.#options.clock ?? SYSTEM_CLOCK).now())
    const identity = loadIdentity(config, { now, ...(this.#options.warn === undefined ? {} : { warn: this.#options.warn }) })
    const oauthClient = config.TRULIOO_CLIENT_ID === undefined || config.TRULIOO_CLIENT_SECRET === undefined
      ? undefined
      : Object.freeze({ id: config.TRULIOO_CLIENT_ID, secret: config.TRULIOO_CLIENT_SECRET })
    return {
      config,
      identity,
      credentials: { authorization: basicAuthorization(config), egressProxyAuthorization: egressProxyAuthorization(config), apiKey: config.TRULIOO_API_KEY, oauthClient }
    }
  }
}

export function describeLoadError (err: unknown): string {
  if (err instanceof ConfigErrors) return err.problems.map((p) => p.toLine()).join('; ')
  if (err instanceof ConfigError) return err.toLine()
  return `unexpected error: ${(err as Error).message}`
}
