import type { Agent } from 'undici'
import { type Clock, SYSTEM_CLOCK } from '../clock.js'
import type { Config } from '../config/schema.js'
import type { Member } from '../identity/identity-set.js'
import type { Identity } from '../identity/load-identity.js'
import type { Egress } from './connect-tunnel.js'
import { createUpstreamAgent } from './create-agent.js'
import type { FallbackRoutes, Route } from './fallback.js'
import { RotatingDispatcher } from './rotating-dispatcher.js'
import { SocketFates } from './tls-connector.js'

/** What the pool needs of the identity store: the members in order, and where refusals go. */
export interface PoolMembers {
  /** The members to send with, best first; the same array until the order changes. */
  order: () => readonly Member[]
  /** The identity used when no member is valid (requests are refused at admission then). */
  readonly identity: Identity
  readonly members: readonly Member[]
  reject: (member: Member, alert: string) => void
  accepted: (member: Member) => void
}

/**
 * The keep-alive connections to the upstream, and the only owner of them: one
 * undici Agent per member identity of the set, behind a dispatcher that never
 * changes. Each request is handed to the Agent of the member active at that
 * moment, so a member that becomes valid serves the next connection while
 * the connections of the one before finish their requests. `sync()` builds
 * an Agent for each new identity and closes, once their requests in flight
 * are done, the Agents of identities no longer held.
 */
export class UpstreamPool implements FallbackRoutes {
  readonly dispatcher: RotatingDispatcher
  /** What happened to each recent socket, to tell a refused certificate from a reset. */
  readonly fates: SocketFates
  readonly #config: Config
  readonly #egress: Egress | undefined
  readonly #members: PoolMembers
  readonly #agents = new Map<Identity, Agent>()
  #openConnections = 0
  #closed = false
  readonly #retiring = new Set<Promise<void>>()
  #order: readonly Member[] | undefined
  #routes: readonly Route[] = []

  /** `egress`: the CONNECT tunnel every connection takes, or undefined to go direct. */
  constructor (config: Config, members: PoolMembers, egress?: Egress, clock: Clock = SYSTEM_CLOCK) {
    this.fates = new SocketFates(clock)
    this.#config = config
    this.#egress = egress
    this.#members = members
    this.sync()
    this.dispatcher = new RotatingDispatcher(this)
  }

  /** TLS connections to the upstream open right now, across old and new Agents. */
  get openConnections (): number { return this.#openConnections }

  /**
   * The members' identities changed (a reload): an Agent for each new one; the
   * Agents of identities no longer held close once their requests in flight
   * are done. New requests use the new Agents from now on.
   */
  sync (): void {
    if (this.#closed) return
    const held = new Set<Identity>([this.#members.identity])
    for (const m of this.#members.members) if (m.identity !== undefined) held.add(m.identity)
    for (const identity of held) {
      if (!this.#agents.has(identity)) this.#agents.set(identity, this.#build(identity))
    }
    for (const [identity, agent] of this.#agents) {
      if (held.has(identity)) continue
      this.#agents.delete(identity)
      // close() lets requests in flight on the old connections finish first
      const closing = agent.close().catch(() => {}).finally(() => { this.#retiring.delete(closing) })
      this.#retiring.add(closing)
    }
    this.#order = undefined
  }

  /** Where a request goes now, best first: [0] is the active member's Agent. Never empty. */
  routes (): readonly Route[] {
    const order = this.#members.order()
    if (order === this.#order) return this.#routes
    this.#order = order
    const routes: Route[] = []
    for (const member of order) {
      const agent = member.identity === undefined ? undefined : this.#agents.get(member.identity)
      if (agent !== undefined) routes.push({ member, dispatcher: agent })
    }
    if (routes.length === 0) {
      // nothing is valid: admission refuses requests (readiness); what still comes (the
      // start-up check) goes with the newest identity and meets the upstream's verdict
      const identity = this.#members.identity
      const member = this.#members.members.find((m) => m.identity === identity) as Member
      routes.push({ member, dispatcher: this.#agents.get(identity) as Agent })
    }
    this.#routes = Object.freeze(routes)
    return this.#routes
  }

  refused (route: Route, alert: string): void { this.#members.reject(route.member, alert) }

  accepted (route: Route): void {
    if (route.member.rejection !== undefined) this.#members.accepted(route.member)
  }

  /** Closes every Agent, waiting for requests in flight. */
  async close (): Promise<void> {
    this.#closed = true
    await Promise.allSettled([...[...this.#agents.values()].map(async (a) => { await a.close() }), ...this.#retiring])
  }

  /** Closes every Agent at once, failing requests in flight. */
  async destroy (): Promise<void> {
    this.#closed = true
    await Promise.allSettled([...this.#agents.values()].map(async (a) => { await a.destroy() }))
  }

  #build (identity: Identity): Agent {
    const agent = createUpstreamAgent(this.#config, identity, this.fates, this.#egress)
    agent.on('connect', () => { this.#openConnections++ })
    agent.on('disconnect', () => { this.#openConnections-- })
    return agent
  }
}
