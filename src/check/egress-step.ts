import { performance } from 'node:perf_hooks'
import { authority, connectToProxy, Deadline, EgressProxyError, requestTunnel, type TunnelFailure } from '../upstream/connect-tunnel.js'
import { ADVICE } from './advice.js'
import { type CheckContext, fail, pass, skip, type Step, type StepOutcome } from './check-types.js'

/**
 * Between TCP and TLS: with an egress proxy, the CONNECT on the socket the TCP
 * step opened to the proxy; the TLS step then runs inside the tunnel.
 */
export const egressProxyStep: Step = {
  id: 'egress-proxy',
  title: 'egress proxy',
  async run (context) {
    const { egress } = context
    if (egress === undefined) return skip(noProxyReason(context))
    const target = { host: context.host, port: context.port }
    const deadline = new Deadline(context.config.CONNECT_TIMEOUT_MS)
    const started = performance.now()
    try {
      const connection = await connectToProxy(egress, deadline, context.tcp)
      context.tcp = await requestTunnel(connection, egress, target, deadline)
    } catch (err) {
      context.tcp = undefined
      if (!(err instanceof EgressProxyError)) throw err
      return failed(err)
    }
    const ms = Math.round(performance.now() - started)
    const credentials = egress.authorization() === undefined ? 'without credentials' : 'with credentials'
    return pass(`${egress.proxy.shown} (${egress.proxy.variable}) opened a tunnel to ${authority(target)} ${credentials} in ${ms} ms`,
      { proxy: egress.proxy.shown, from: egress.proxy.variable, target: authority(target), ms })
  }
}

function noProxyReason (context: CheckContext): string {
  const { config } = context
  if (config.HTTPS_PROXY === undefined && config.ALL_PROXY === undefined) return 'none: HTTPS_PROXY and ALL_PROXY are unset, the upstream is reached directly'
  return `none for ${context.host}: NO_PROXY names it, the upstream is reached directly`
}

const ADVICE_BY_REASON: Record<Exclude<TunnelFailure, 'refused'>, string> = {
  unreachable: ADVICE.egressUnreachable,
  closed: ADVICE.egressBadAnswer,
  'bad-answer': ADVICE.egressBadAnswer,
  tls: ADVICE.egressTls,
  timeout: ADVICE.egressTimeout
}

function failed (err: EgressProxyError): StepOutcome {
  const data = { code: err.code, reason: err.reason, ...(err.proxyStatus === undefined ? {} : { proxyStatus: err.proxyStatus }) }
  if (err.reason !== 'refused') return fail(err.message, ADVICE_BY_REASON[err.reason], data)
  const status = err.proxyStatus ?? 0
  const advice = status === 407 ? ADVICE.egressAuth : status >= 500 ? ADVICE.egressUpstream : ADVICE.egressForbidden
  return fail(err.message, advice, data)
}
