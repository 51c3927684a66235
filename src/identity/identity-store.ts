import { EventEmitter } from 'node:events'
import { type Clock, SYSTEM_CLOCK } from '../clock.js'
import type { Config } from '../config/schema.js'
import { ConfigError, ConfigErrors } from '../errors.js'
import { egressProxyAuthorization } from '../config/egress-proxy.js'
import type { ClientCredentials } from '../auth/token-client.js'
import { basicAuthorization } from './basic-auth.js'
import { memberConfig, memberFiles, type MemberSource, memberSources } from './identity-members.js'
import { IdentitySet, type Member, type MemberStatus, type Rejection } from './identity-set.js'
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
  readonly credentials: Credentials
}

/** A member whose certificate the upstream refused in the handshake (event `rejected`). */
export interface RejectedEvent {
  readonly member: Member
  readonly serialNumber: string
  readonly rejection: Rejection
}

/**
 * The only owner of key material and credentials. It holds the identity set
 * (identity-set.ts): the members of TLS_IDENTITIES_DIR, or the one identity
 * of TLS_CERT_FILE / TLS_PFX_FILE as a set of one. It loads and validates
 * each member and, on reload, swaps in a member's new identity only once
 * everything about it checked out: a bad new identity never replaces a good
 * one, and one bad member never stops the others. It hands out identities
 * and credentials, nothing else: the upstream pool listens for `identity`
 * and builds its own connections per member.
 *
 * Events: `identity` (the active Identity) when any member's identity
 * changed, emitted before `reload` (ReloadOutcome); `active` (Member |
 * undefined, previous) when the member serving new connections changes;
 * `rejected` (RejectedEvent).
 */
export class IdentityStore extends EventEmitter {
  #loaded: Loaded
  #lastReload: ReloadOutcome | undefined
  #closed = false
  readonly #options: IdentityStoreOptions
  readonly #set: IdentitySet
  readonly #sources: readonly MemberSource[]

  /** Loads every member; throws ConfigError when the set has no usable one (or the one identity is not usable). */
  constructor (config: Config, options: IdentityStoreOptions = {}) {
    super()
    this.#options = options
    this.#sources = memberSources(config)
    this.#set = new IdentitySet(this.#sources, (active, previous) => { this.emit('active', active, previous) })
    this.#loaded = this.#load(config, true)
  }

  /** The active member's identity (the newest valid one); when none is valid, the newest loaded. */
  get identity (): Identity {
    const now = this.#now()
    const active = this.#set.active(now)
    if (active !== undefined) return active.identity as Identity
    return this.#newestLoaded()
  }

  get credentials (): Credentials { return this.#loaded.credentials }
  /** The Basic `Authorization` value to inject, or undefined for pass-through. */
  get authorization (): string | undefined { return this.#loaded.credentials.authorization }
  get lastReload (): ReloadOutcome | undefined { return this.#lastReload }
  /** The files the identities and credentials are read from: what a watcher watches. */
  get files (): readonly string[] { return [...watchedPaths(this.#loaded.config), ...this.#sources.flatMap(memberFiles)] }
  /** Whether the identities come from TLS_IDENTITIES_DIR (a set that can fall back) rather than the one identity. */
  get isSet (): boolean { return this.#loaded.config.TLS_IDENTITIES_DIR !== undefined }
  /** Every member, in the directory's order. */
  get members (): readonly Member[] { return this.#set.members }

  /** The members to send a request with now, best first ([0] is active); the same array until it changes. */
  order (): readonly Member[] { return this.#set.order(this.#now()) }

  /** Each member's state now, for /status, metrics and the start-up line. */
  memberStatus (): MemberStatus[] { return this.#set.status(this.#now()) }

  /** The upstream refused `member`'s certificate in the handshake (src/upstream/fallback.ts says so). */
  reject (member: Member, alert: string): void {
    const serialNumber = member.identity?.info.serialNumber ?? ''
    const rejection = this.#set.reject(member, this.#now(), alert)
    // the same refusal episode, reported again by another request: told once
    if (rejection === undefined) return
    this.emit('rejected', { member, serialNumber, rejection } satisfies RejectedEvent)
  }

  /** The upstream answered on `member`: a refusal before is forgotten. */
  accepted (member: Member): void { this.#set.accepted(member) }

  /**
   * Reads configuration and files again and swaps in each member's new
   * identity if, and only if, all of it is valid. Never throws.
   */
  reload (): ReloadOutcome {
    const at = new Date(this.#now())
    if (this.#closed) {
      // a pool built now would never be closed
      return { at, ok: false, error: 'the sidecar is shutting down: no reload' }
    }
    let outcome: ReloadOutcome
    try {
      const config = this.#options.reloadConfig?.() ?? this.#loaded.config
      const before = this.#set.members.map((m) => m.identity)
      this.#loaded = this.#load(config, false)
      // a reload (SIGHUP, new files) is the operator's word: members Trulioo refused are tried again now
      this.#set.forgetRejections()
      const failures = this.#set.members.filter((m) => m.error !== undefined)
      outcome = failures.length === 0
        ? { at, ok: true, serialNumber: this.identity.info.serialNumber }
        : { at, ok: false, error: failures.map((m) => m.error).join('; ') }
      // as before the set: every reload that loaded something tells the pool and the token client
      // (new credentials too); the pool builds connections only for identities it does not hold
      if (outcome.ok || this.#set.members.some((m, i) => m.identity !== before[i])) this.emit('identity', this.identity)
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

  #now (): number {
    return (this.#options.clock ?? SYSTEM_CLOCK).now()
  }

  #newestLoaded (): Identity {
    let newest: Identity | undefined
    for (const m of this.#set.members) {
      if (m.identity !== undefined && (newest === undefined || m.identity.info.notBefore > newest.info.notBefore)) newest = m.identity
    }
    return newest as Identity
  }

  #load (config: Config, first: boolean): Loaded {
    const now = new Date(this.#now())
    const warn = this.#options.warn
    const single = config.TLS_IDENTITIES_DIR === undefined
    const problems: ConfigError[] = []
    for (const member of this.#set.members) {
      try {
        // The one identity is loaded exactly as before the set: a failure throws (start-up
        // error, or a reload that changes nothing). A member outside its validity loads:
        // the set judges validity on its clock.
        const identity = loadIdentity(memberConfig(config, member.source), {
          now, checkValidity: single, ...(warn === undefined ? {} : { warn: single ? warn : (w) => { warn(asMemberError(member, w)) } })
        })
        const kept = member.identity
        // a member whose files are byte for byte the same keeps its identity, and so its connections
        this.#set.loaded(member, !single && kept !== undefined && kept.secureContext === identity.secureContext ? kept : identity)
      } catch (err) {
        if (single) throw err
        const problem = asMemberError(member, err)
        problems.push(problem)
        this.#set.failed(member, problem.toLine())
        if (first) warn?.(problem)
      }
    }
    if (first && !single && this.#set.order(now.getTime()).length === 0) {
      const why = this.#set.status(now.getTime()).map((m) => `${m.name}: ${m.error ?? m.state}`).join('; ')
      throw new ConfigError('TLS_IDENTITIES_DIR', `no member loads and is valid now (${why})`, { code: 'NO_VALID_IDENTITY' })
    }
    const oauthClient = config.TRULIOO_CLIENT_ID === undefined || config.TRULIOO_CLIENT_SECRET === undefined
      ? undefined
      : Object.freeze({ id: config.TRULIOO_CLIENT_ID, secret: config.TRULIOO_CLIENT_SECRET })
    return {
      config,
      credentials: { authorization: basicAuthorization(config), egressProxyAuthorization: egressProxyAuthorization(config), apiKey: config.TRULIOO_API_KEY, oauthClient }
    }
  }
}

/** A member's load problem, named by its folder: `TLS_IDENTITIES_DIR/<name>: TLS_KEY_FILE: …`. */
function asMemberError (member: Member, err: unknown): ConfigError {
  const subject = `TLS_IDENTITIES_DIR/${member.source.name}`
  if (err instanceof ConfigError) return new ConfigError(subject, err.toLine(), { code: err.code })
  return new ConfigError(subject, describeLoadError(err))
}

export function describeLoadError (err: unknown): string {
  if (err instanceof ConfigErrors) return err.problems.map((p) => p.toLine()).join('; ')
  if (err instanceof ConfigError) return err.toLine()
  return `unexpected error: ${(err as Error).message}`
}
