import type { Identity, IdentityInfo } from './load-identity.js'
import type { MemberSource } from './identity-members.js'

/** A refused member is offered again after this long, doubling up to REJECTED_RETRY_MAX_MS. */
export const REJECTED_RETRY_FIRST_MS = 5 * 60_000
export const REJECTED_RETRY_MAX_MS = 60 * 60_000

export type MemberState = 'active' | 'standby' | 'rejected' | 'expired' | 'not yet valid' | 'failed to load'

/** Why the upstream last refused a member, and when it is offered again. */
export interface Rejection {
  readonly at: number
  /** When the member is offered again (a new connection tries it). */
  readonly until: number
  /** Refusals in a row, for the backoff. */
  readonly count: number
  /** The TLS alert, e.g. `certificate revoked`. */
  readonly alert: string
}

/**
 * One member of the identity set: where it is read from, the identity last
 * loaded from it (kept when a reload of it fails), and the upstream's refusal.
 * Its fields are written only by the IdentitySet.
 */
export interface Member {
  readonly source: MemberSource
  readonly identity: Identity | undefined
  /** The last load's failure, one line; with `identity` set, the identity loaded before still serves. */
  readonly error: string | undefined
  readonly rejection: Rejection | undefined
}

interface MutableMember { source: MemberSource, identity: Identity | undefined, error: string | undefined, rejection: Rejection | undefined }

/** A member's view for /status and `check`: safe to show. */
export interface MemberStatus {
  readonly name: string
  readonly state: MemberState
  readonly info: IdentityInfo | undefined
  readonly error: string | undefined
  readonly rejection: Rejection | undefined
}

/**
 * The identity set and its one rule: among the members valid now (inside
 * notBefore..notAfter) and not rejected, the one with the latest notBefore is
 * active; the others stand by, in the same order, as the fallback. When every
 * valid member has been refused, they are still offered in that order: the
 * set never has nowhere to send a request while a certificate is valid.
 *
 * The order is judged on the injected clock, and kept until the next instant
 * at which it can change (a notBefore or notAfter reached, a rejection's
 * retry time) or until a load or a refusal changes a member: the per-request
 * cost is one comparison.
 */
export class IdentitySet {
  readonly #members: MutableMember[]
  #order: readonly Member[] = []
  /** The order holds until this instant (ms); -Infinity: judge again. */
  #until = -Infinity
  /** When the order was judged: a clock moved backwards judges again. */
  #horizonStart = Infinity
  #active: Member | undefined
  readonly #onActive: (active: Member | undefined, previous: Member | undefined) => void

  constructor (sources: readonly MemberSource[], onActive: (active: Member | undefined, previous: Member | undefined) => void = () => {}) {
    this.#members = sources.map((source) => ({ source, identity: undefined, error: undefined, rejection: undefined }))
    this.#onActive = onActive
  }

  get members (): readonly Member[] { return this.#members }

  /** A load of `member` succeeded: its new identity (the same object when nothing changed). */
  loaded (member: Member, identity: Identity): void {
    const m = member as MutableMember
    if (m.identity !== identity) {
      // a new certificate gets a fresh chance with the upstream
      if (m.identity?.info.fingerprint256 !== identity.info.fingerprint256) m.rejection = undefined
      m.identity = identity
    }
    m.error = undefined
    this.#until = -Infinity
  }

  /** A load of `member` failed: the identity loaded before, if any, keeps serving. */
  failed (member: Member, error: string): void {
    (member as MutableMember).error = error
    this.#until = -Infinity
  }

  /**
   * The upstream refused `member`'s certificate in the handshake: it is offered
   * again after a backoff. A refusal while its rejection is still in force is
   * the same episode (one failed connection errors every request queued on it,
   * and each of them reports it; or every member is refused and still tried):
   * it changes nothing and returns undefined, so it is told and counted once.
   */
  reject (member: Member, now: number, alert: string): Rejection | undefined {
    const m = member as MutableMember
    if (m.rejection !== undefined && now < m.rejection.until) return undefined
    const count = (m.rejection?.count ?? 0) + 1
    const wait = Math.min(REJECTED_RETRY_FIRST_MS * 2 ** (count - 1), REJECTED_RETRY_MAX_MS)
    m.rejection = { at: now, until: now + wait, count, alert }
    this.#until = -Infinity
    return m.rejection
  }

  /** Every refused member is offered again at once (a reload: the operator may have fixed it with Trulioo). */
  forgetRejections (): void {
    for (const m of this.#members) m.rejection = undefined
    this.#until = -Infinity
  }

  /** The upstream answered a request on `member`: a refusal before no longer counts. */
  accepted (member: Member): void {
    const m = member as MutableMember
    if (m.rejection === undefined) return
    m.rejection = undefined
    this.#until = -Infinity
  }

  /**
   * The members to send a request with, best first: [0] is active. Empty when
   * no member is loaded and valid. The same array until the order changes.
   */
  order (now: number): readonly Member[] {
    if (now >= this.#until || now < this.#horizonStart) this.#judge(now)
    return this.#order
  }

  /** The member serving new connections now, or undefined when none is valid. */
  active (now: number): Member | undefined {
    return this.order(now)[0]
  }

  /** Each member's state now, in the order of the sources. */
  status (now: number): MemberStatus[] {
    const order = this.order(now)
    return this.#members.map((m) => ({
      name: m.source.name,
      state: stateOf(m, order, now),
      info: m.identity?.info,
      error: m.error,
      rejection: m.rejection
    }))
  }

  #judge (now: number): void {
    const valid = this.#members.filter((m) => m.identity !== undefined && validAt(m.identity.info, now))
    const newestFirst = (a: MutableMember, b: MutableMember): number => {
      const ai = (a.identity as Identity).info
      const bi = (b.identity as Identity).info
      return (bi.notBefore.getTime() - ai.notBefore.getTime()) || (bi.notAfter.getTime() - ai.notAfter.getTime()) || (a.source.name < b.source.name ? -1 : 1)
    }
    const welcome = valid.filter((m) => m.rejection === undefined || now >= m.rejection.until).sort(newestFirst)
    const refused = valid.filter((m) => m.rejection !== undefined && now < m.rejection.until).sort(newestFirst)
    this.#order = Object.freeze([...welcome, ...refused])
    // the next instant the order can change
    let until = Infinity
    for (const m of this.#members) {
      if (m.identity === undefined) continue
      const { notBefore, notAfter } = m.identity.info
      for (const t of [notBefore.getTime(), notAfter.getTime() + 1, m.rejection?.until ?? Infinity]) {
        if (t > now && t < until) until = t
      }
    }
    this.#until = until
    // a clock moved backwards (tests, or an NTP step) judges again too
    this.#horizonStart = now
    const previous = this.#active
    this.#active = this.#order[0]
    if (previous !== this.#active) this.#onActive(this.#active, previous)
  }
}

function validAt (info: IdentityInfo, now: number): boolean {
  return now >= info.notBefore.getTime() && now <= info.notAfter.getTime()
}

function stateOf (m: Member, order: readonly Member[], now: number): MemberState {
  if (m.identity === undefined) return 'failed to load'
  const { info } = m.identity
  if (now > info.notAfter.getTime()) return 'expired'
  if (now < info.notBefore.getTime()) return 'not yet valid'
  if (m.rejection !== undefined && now < m.rejection.until) return order[0] === m ? 'active' : 'rejected'
  return order[0] === m ? 'active' : 'standby'
}
