import type { Agent } from 'undici'
import { type Clock, SYSTEM_CLOCK } from '../clock.js'
import type { Config } from '../config/schema.js'
import type { Egress } from './connect-tunnel.js'
import { type ClientTls, createUpstreamAgent } from './create-agent.js'
import { RotatingDispatcher } from './rotating-dispatcher.js'
import { SocketFates } from './tls-connector.js'

/**
 * The keep-alive connections to the upstream, and the only owner of them: one
 * undici Agent per client identity, behind a dispatcher that never changes.
 * `use()` builds an Agent for a new identity, swaps it in for new requests
 * and closes the old one once its requests in flight are done.
 */
export class UpstreamPool {
  readonly dispatcher: RotatingDispatcher
  /** What happened to each recent socket, to tell a refused certificate from a reset. */
  readonly fates: SocketFates
  readonly #config: Config
  readonly #egress: Egress | undefined
  #agent: Agent
  #openConnections = 0
  #closed = false
  readonly #retiring = new Set<Promise<void>>()

  /** `egress`: the CONNECT tunnel every connection takes, or undefined to go direct. */
  constructor (config: Config, tls: ClientTls, egress?: Egress, clock: Clock = SYSTEM_CLOCK) {
    this.fates = new SocketFates(clock)
    this.#config = config
    this.#egress = egress
    this.#agent = this.#build(tls)
    this.dispatcher = new RotatingDispatcher(this.#agent)
  }

  /** TLS connections to the upstream open right now, across old and new Agents. */
  get openConnections (): number { return this.#openConnections }

  /** New requests use `tls` from now on; requests in flight finish on the old connections. */
  use (tls: ClientTls): void {
    if (this.#closed) return
    const previous = this.#agent
    this.#agent = this.#build(tls)
    this.dispatcher.swap(this.#agent)
    // close() lets requests in flight on the old connections finish first
    const closing = previous.close().catch(() => {}).finally(() => { this.#retiring.delete(closing) })
    this.#retiring.add(closing)
  }

  /** Closes every Agent, waiting for requests in flight. */
  async close (): Promise<void> {
    this.#closed = true
    await Promise.allSettled([this.#agent.close(), ...this.#retiring])
  }

  /** Closes every Agent at once, failing requests in flight. */
  async destroy (): Promise<void> {
    this.#closed = true
    await Promise.allSettled([this.#agent.destroy()])
  }

  #build (tls: ClientTls): Agent {
    const agent = createUpstreamAgent(this.#config, tls, this.fates, this.#egress)
    agent.on('connect', () => { this.#openConnections++ })
    agent.on('disconnect', () => { this.#openConnections-- })
    return agent
  }
}
