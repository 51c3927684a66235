import { EventEmitter } from 'node:events'
import type { Agent } from 'undici'
import type { Config } from '../config/schema.js'
import { ConfigError, ConfigErrors } from '../errors.js'
import { createUpstreamAgent } from '../upstream/create-agent.js'
import { RotatingDispatcher } from '../upstream/rotating-dispatcher.js'
import { SocketFates } from '../upstream/tls-connector.js'
import { basicAuthorization } from './basic-auth.js'
import { type Identity, loadIdentity } from './load-identity.js'

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
  warn?: (message: string) => void
  now?: () => Date
}

interface Active {
  readonly config: Config
  readonly identity: Identity
  readonly authorization: string | undefined
  readonly agent: Agent
}

/**
 * The only owner of key material and credentials. It loads and validates an
 * identity, builds an undici Agent for it, and on reload swaps in a new one
 * only once everything about it checked out: a bad new identity never
 * replaces a good one. Old Agents close after their requests in flight.
 *
 * Events: `reload` (ReloadOutcome).
 */
export class IdentityStore extends EventEmitter {
  readonly dispatcher: RotatingDispatcher
  readonly fates = new SocketFates()
  #active: Active
  #lastReload: ReloadOutcome | undefined
  #openConnections = 0
  #closed = false
  readonly #retiring = new Set<Promise<void>>()
  readonly #options: IdentityStoreOptions

  /** Loads the first identity; throws ConfigError when it is not usable. */
  constructor (config: Config, options: IdentityStoreOptions = {}) {
    super()
    this.#options = options
    this.#active = this.#build(config)
    this.dispatcher = new RotatingDispatcher(this.#active.agent)
  }

  get config (): Config { return this.#active.config }
  get identity (): Identity { return this.#active.identity }
  /** The Basic `Authorization` value to inject, or undefined for pass-through. */
  get authorization (): string | undefined { return this.#active.authorization }
  get lastReload (): ReloadOutcome | undefined { return this.#lastReload }
  /** TLS connections to the upstream open right now, across old and new Agents. */
  get openConnections (): number { return this.#openConnections }

  /**
   * Reads configuration and files again and swaps in the new identity if,
   * and only if, all of it is valid. Never throws.
   */
  reload (): ReloadOutcome {
    const at = this.#options.now?.() ?? new Date()
    let outcome: ReloadOutcome
    if (this.#closed) {
      // a pool built now would never be closed
      return { at, ok: false, error: 'the sidecar is shutting down: no reload' }
    }
    try {
      const config = this.#options.reloadConfig?.() ?? this.#active.config
      const next = this.#build(config)
      const previous = this.#active
      this.#active = next
      this.dispatcher.swap(next.agent)
      this.#retire(previous.agent)
      outcome = { at, ok: true, serialNumber: next.identity.info.serialNumber }
    } catch (err) {
      outcome = { at, ok: false, error: describeLoadError(err) }
    }
    this.#lastReload = outcome
    this.emit('reload', outcome)
    return outcome
  }

  /** Closes every Agent, waiting for requests in flight. */
  async close (): Promise<void> {
    this.#closed = true
    await Promise.allSettled([this.#active.agent.close(), ...this.#retiring])
  }

  /** Closes every Agent at once, failing requests in flight. */
  async destroy (): Promise<void> {
    this.#closed = true
    await Promise.allSettled([this.#active.agent.destroy()])
  }

  #build (config: Config): Active {
    const now = this.#options.now?.()
    const identity = loadIdentity(config, { ...(now === undefined ? {} : { now }), ...(this.#options.warn === undefined ? {} : { warn: this.#options.warn }) })
    const agent = createUpstreamAgent(config, identity, this.fates)
    agent.on('connect', () => { this.#openConnections++ })
    agent.on('disconnect', () => { this.#openConnections-- })
    return { config, identity, authorization: basicAuthorization(config), agent }
  }

  #retire (agent: Agent): void {
    // close() lets requests in flight on the old connections finish first
    const closing = agent.close().catch(() => {}).finally(() => { this.#retiring.delete(closing) })
    this.#retiring.add(closing)
  }
}

export function describeLoadError (err: unknown): string {
  if (err instanceof ConfigErrors) return err.problems.map((p) => p.toLine()).join('; ')
  if (err instanceof ConfigError) return err.toLine()
  return `unexpected error: ${(err as Error).message}`
}
