import tls from 'node:tls'
import { ConfigError } from '../errors.js'
import { IdentityStore } from '../identity/identity-store.js'
import { openTunnel } from '../upstream/connect-tunnel.js'
import { ADVICE } from './advice.js'
import { type CheckContext, fail, pass, skip, type Step } from './check-types.js'
import { TEST_PATH } from './network-steps.js'
import { RawExchange } from './raw-exchange.js'

/** What the upstream said to one member of the identity set. */
export interface MemberVerdict {
  readonly member: string
  readonly state: string
  readonly serialNumber?: string
  /** accepted: the upstream answered over it; refused: a TLS alert or a close; not tried: it did not load. */
  readonly verdict: 'accepted' | 'refused' | 'no answer' | 'not tried'
  readonly reason?: string
}

/**
 * With TLS_IDENTITIES_DIR: a handshake and one GET of the test path with
 * each member that loads (valid now or not: Trulioo's word on a member that
 * will serve later is worth knowing before it does), saying which ones the
 * upstream accepts. An HTTP answer of any status means the certificate was
 * accepted; a refusal shows as a TLS alert or a close. Passes when the
 * active member is accepted.
 */
export const membersStep: Step = {
  id: 'members',
  title: 'each identity the upstream accepts',
  async run (context) {
    const { config } = context
    if (config.TLS_IDENTITIES_DIR === undefined) return skip('one identity (TLS_CERT_FILE / TLS_PFX_FILE): no set to walk')
    let store: IdentityStore
    try {
      store = new IdentityStore(config, { clock: { now: () => context.now.getTime() } })
    } catch (err) {
      if (err instanceof ConfigError) return fail(err.toLine(), ADVICE.certRejected, { code: err.code })
      throw err
    }
    const verdicts: MemberVerdict[] = []
    const status = store.memberStatus()
    for (const [index, member] of store.members.entries()) {
      const shown = status[index]
      const name = member.source.name
      const state = shown?.state ?? 'failed to load'
      if (member.identity === undefined) {
        verdicts.push({ member: name, state, verdict: 'not tried', reason: member.error ?? 'did not load' })
        continue
      }
      verdicts.push({ member: name, state, serialNumber: member.identity.info.serialNumber, ...await ask(context, member.identity.secureContext) })
    }
    const detail = verdicts.map((v) => `${v.member} (${v.state}${v.serialNumber === undefined ? '' : `, serial ${v.serialNumber}`}): ${v.verdict}${v.reason === undefined ? '' : ` (${v.reason})`}`).join('; ')
    const active = verdicts.find((v) => v.state === 'active')
    if (active?.verdict !== 'accepted') return fail(detail, ADVICE.certRejected, { members: verdicts })
    return pass(detail, { members: verdicts })
  }
}

async function ask (context: CheckContext, secureContext: tls.SecureContext): Promise<Pick<MemberVerdict, 'verdict' | 'reason'>> {
  const timeout = context.config.CONNECT_TIMEOUT_MS
  let tunnel
  try {
    if (context.egress !== undefined) tunnel = await openTunnel(context.egress, { host: context.host, port: context.port }, timeout)
  } catch (err) {
    return { verdict: 'no answer', reason: `the egress proxy refused a tunnel: ${(err as Error).message}` }
  }
  const exchange = new RawExchange(tls.connect({
    ...(tunnel === undefined ? { host: context.address ?? context.host, port: context.port } : { socket: tunnel, host: context.host }),
    ...(context.servername === undefined ? {} : { servername: context.servername }),
    secureContext,
    // the TLS step has checked the upstream's certificate already
    rejectUnauthorized: false,
    ALPNProtocols: ['http/1.1']
  }))
  try {
    await exchange.handshake(timeout)
    const answer = await exchange.get(TEST_PATH, context.host, timeout)
    if (answer.kind === 'answered') return { verdict: 'accepted', reason: `HTTP ${answer.status}` }
    if (answer.kind === 'timeout') return { verdict: 'no answer', reason: `nothing within ${timeout} ms` }
    return { verdict: 'refused', reason: describe(answer.error) }
  } catch (err) {
    return { verdict: 'refused', reason: describe(err as NodeJS.ErrnoException) }
  } finally {
    exchange.close()
  }
}

function describe (err: NodeJS.ErrnoException | undefined): string {
  const alert = /_ALERT_(.+)$/.exec(String(err?.code ?? ''))?.[1]
  if (alert !== undefined) return `TLS alert "${alert.toLowerCase().replace(/_/g, ' ')}"`
  return err?.code === undefined ? 'the connection was closed without an answer' : `closed: ${err.code}`
}
