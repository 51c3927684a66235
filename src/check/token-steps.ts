import { resolveAuthRoutes } from '../auth/auth-routes.js'
import { TokenClient } from '../auth/token-client.js'
import type { Config } from '../config/schema.js'
import { TokenFetchError } from '../errors.js'
import { egressProxyAuthorization } from '../config/egress-proxy.js'
import { classifyUpstreamError } from '../upstream/classify-error.js'
import { ADVICE } from './advice.js'
import { type CheckContext, fail, pass, skip, type Step } from './check-types.js'

/** A call that proves a token works, per scope Trulioo documents one for. */
export const TOKEN_TEST_PATHS: Readonly<Record<string, string>> = Object.freeze({ 'napi.api': '/v3/connection/testauthentication' })

/**
 * For each OAuth2 scope the routes use, when client credentials are set:
 * the token endpoint answers, it accepts the client credentials, and the
 * upstream accepts a call with the token. The token itself is never shown.
 */
export function tokenSteps (config: Config): Step[] {
  if (config.TRULIOO_CLIENT_ID === undefined || config.TRULIOO_CLIENT_SECRET === undefined) return []
  return resolveAuthRoutes(config).scopes.flatMap((scope) => [endpointStep(scope), credentialsStep(scope), callStep(scope)])
}

function endpointStep (scope: string): Step {
  return {
    id: `token-endpoint:${scope}`,
    title: `token endpoint reachable (${scope})`,
    async run (context) {
      const config = context.config
      const credentials = { id: config.TRULIOO_CLIENT_ID as string, secret: config.TRULIOO_CLIENT_SECRET as string }
      const proxyAuthorization = egressProxyAuthorization(config)
      context.tokenClient ??= new TokenClient(config, context.identity, () => credentials, () => proxyAuthorization)
      const tokens = context.tokens ??= new Map()
      try {
        tokens.set(scope, { answer: await context.tokenClient.fetch(scope) })
      } catch (err) {
        const error = err instanceof TokenFetchError ? err : new TokenFetchError('unreachable', (err as Error).message)
        tokens.set(scope, { error })
        if (['unreachable', 'tls', 'timeout', 'egress-proxy'].includes(error.reason)) return fail(error.message, ADVICE.tokenUnreachable, { reason: error.reason })
      }
      return pass(`${config.TOKEN_URL} answered over TLS (client certificate offered)`)
    }
  }
}

function credentialsStep (scope: string): Step {
  return {
    id: `token-credentials:${scope}`,
    title: `client credentials accepted (${scope})`,
    run (context) {
      const got = context.tokens?.get(scope)
      if (got?.answer !== undefined) {
        const lifetime = typeof got.answer.expiresIn === 'number' ? `, valid ${got.answer.expiresIn} s` : ''
        return pass(`a token for ${scope} was issued${lifetime}`)
      }
      const error = got?.error
      if (error?.reason === 'rejected') return fail(error.message, ADVICE.tokenRejected, { status: error.status ?? null })
      return fail(error?.message ?? 'no answer', ADVICE.tokenAnswer, { status: error?.status ?? null })
    }
  }
}

function callStep (scope: string): Step {
  const path = TOKEN_TEST_PATHS[scope]
  return {
    id: `token-call:${scope}`,
    title: path === undefined ? `call with the token (${scope})` : `GET ${path} with the token`,
    async run (context: CheckContext) {
      const token = context.tokens?.get(scope)?.answer
      if (path === undefined) return skip(`Trulioo documents no test call for ${scope}; the token was issued`)
      if (token === undefined || context.agent === undefined) return skip('no token to call with')
      try {
        const url = new URL(path, context.config.UPSTREAM_URL)
        const res = await context.agent.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          headers: { accept: 'application/json', 'user-agent': 'trulioo-mtls-sidecar', authorization: `Bearer ${token.accessToken}` },
          headersTimeout: context.config.UPSTREAM_TIMEOUT_MS,
          bodyTimeout: context.config.UPSTREAM_TIMEOUT_MS
        })
        const text = await res.body.text()
        if (res.statusCode === 200) return pass(`HTTP 200 ${text.slice(0, 80)}`, { status: 200 })
        if (res.statusCode === 401 || res.statusCode === 403) return fail(`HTTP ${res.statusCode}: the upstream refused the token`, ADVICE.tokenRefused, { status: res.statusCode })
        return fail(`HTTP ${res.statusCode}`, ADVICE.unexpectedAnswer, { status: res.statusCode })
      } catch (err) {
        return fail(classifyUpstreamError(err, undefined, context.servername).message, ADVICE.timeout)
      }
    }
  }
}
