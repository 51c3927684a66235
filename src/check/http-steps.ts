import { performance } from 'node:perf_hooks'
import { createUpstreamAgent } from '../upstream/create-agent.js'
import { classifyUpstreamError } from '../upstream/classify-error.js'
import { callTestAuthentication } from '../upstream/test-authentication.js'
import { SocketFates } from '../upstream/tls-connector.js'
import { ADVICE } from './advice.js'
import { type CheckContext, fail, pass, skip, type Step, type StepOutcome } from './check-types.js'
import { exchangeOf, TEST_PATH } from './network-steps.js'

/**
 * Above TLS: does the upstream accept the client certificate (a GET without
 * credentials on the handshake's own connection gets any HTTP answer), do the
 * credentials work (the same GET through the Agent `serve` would use), and
 * how long a call takes.
 */

export const clientCertStep: Step = {
  id: 'client-cert',
  title: 'client certificate accepted',
  async run (context) {
    const exchange = exchangeOf(context)
    if (exchange === undefined) throw new Error('the TLS step did not run')
    try {
      const answer = await exchange.get(TEST_PATH, context.host, context.config.UPSTREAM_TIMEOUT_MS)
      if (answer.kind === 'timeout') {
        return fail(`no answer within ${context.config.UPSTREAM_TIMEOUT_MS} ms after the TLS handshake`, ADVICE.timeout)
      }
      if (answer.kind === 'refused') {
        const alert = answer.error?.code?.includes('_ALERT_') === true
        const detail = alert
          ? classifyUpstreamError(answer.error).message
          : `the upstream closed the connection right after the ${exchange.protocol ?? 'TLS'} handshake without answering${answer.error?.code === undefined ? '' : ` (${answer.error.code})`}: it refused the client certificate`
        return fail(detail, ADVICE.certRejected)
      }
      // nginx-style terminators with optional verification answer 400 instead of closing
      if (answer.status === 400 && /certificate/i.test(answer.body)) {
        return fail('the upstream answered HTTP 400 about the SSL certificate: it refused the client certificate', ADVICE.certRejected, { status: 400 })
      }
      return pass(`the upstream answered (HTTP ${answer.status} to a call without credentials) on the mutual-TLS connection`, { status: answer.status })
    } finally {
      exchange.close()
    }
  }
}

export const authStep: Step = {
  id: 'auth',
  title: `GET ${TEST_PATH}`,
  async run (context) {
    const fates = new SocketFates()
    context.agent = createUpstreamAgent(context.config, context.identity, fates, context.egress)
    if (context.authorization === undefined) {
      return skip('no NAPI credentials are set (TRULIOO_USERNAME / TRULIOO_PASSWORD): the application\'s own Authorization passes through, so there is nothing to test')
    }
    const started = performance.now()
    let status: number
    let text: string
    try {
      ({ status, text } = await call(context))
    } catch (err) {
      const classified = classifyUpstreamError(err, fates, context.servername)
      return fail(classified.message, classified.clientCertificateRefused ? ADVICE.certRejected : ADVICE.timeout, { code: classified.code })
    }
    context.firstCallMs = Math.round(performance.now() - started)
    return judgeHello(status, text)
  }
}

function judgeHello (status: number, text: string): StepOutcome {
  const excerpt = text.length > 200 ? `${text.slice(0, 200)}…` : text
  if (status === 401) return fail('HTTP 401: the upstream refused the NAPI credentials', ADVICE.badCredentials, { status })
  if (status === 403) return fail(`HTTP 403: ${excerpt}`, ADVICE.forbidden, { status })
  let hello: unknown
  try {
    hello = JSON.parse(text)
  } catch {
    hello = undefined
  }
  if (status === 200 && typeof hello === 'string' && hello.startsWith('Hello')) {
    return pass(`HTTP 200 "${hello}"`, { status, answer: hello })
  }
  return fail(`HTTP ${status}: ${excerpt}`, ADVICE.unexpectedAnswer, { status })
}

export const roundTripStep: Step = {
  id: 'round-trip',
  title: 'round-trip time',
  async run (context) {
    const started = performance.now()
    let status: number
    try {
      ({ status } = await call(context))
    } catch (err) {
      return fail(classifyUpstreamError(err, undefined, context.servername).message, ADVICE.timeout)
    }
    const warmMs = Math.round(performance.now() - started)
    const first = context.firstCallMs === undefined ? '' : `first call ${context.firstCallMs} ms (with TLS handshake), `
    return pass(`${first}${warmMs} ms on a kept-alive connection (HTTP ${status})`, { firstCallMs: context.firstCallMs ?? null, warmMs })
  }
}

function call (context: CheckContext): Promise<{ status: number, text: string }> {
  return callTestAuthentication(context.agent as NonNullable<CheckContext['agent']>, context.config, context.authorization, context.config.UPSTREAM_TIMEOUT_MS)
}
