import type { FastifyReply, FastifyRequest } from 'fastify'
import { SidecarRequestError } from '../errors.js'
import type { AuthRoute, AuthRoutes } from './auth-routes.js'
import type { Token, TokenStore } from './token-store.js'

/** What the forward stage puts on the upstream request for one request. */
export interface UpstreamAuth {
  readonly route: AuthRoute
  /** False: the application's own Authorization and x-trulioo-api-key are dropped. */
  readonly passThrough: boolean
  readonly authorization: string | undefined
  readonly apiKey: string | undefined
  /** OAuth2 routes only: the token sent, so that a 401 can tell the store which one was refused. */
  readonly oauth?: { readonly token: Token }
}

export interface AuthStageOptions {
  readonly routes: AuthRoutes
  readonly tokens: TokenStore | undefined
  /** The Basic value and the API key now (they change on reload). */
  readonly basic: () => string | undefined
  readonly apiKey: () => string | undefined
  readonly answer: (reply: FastifyReply, err: SidecarRequestError) => void
}

/**
 * Stage 3, auth: the route's scheme (AUTH_ROUTES) decides what the request
 * carries upstream. A Bearer token comes from the token store without
 * waiting while one is valid; with none, the request joins the fetch under
 * way, or gets 503 TOKEN_UNAVAILABLE and never reaches the upstream. The
 * decision goes on the request's exchange (../proxy/exchange.ts).
 */
export function authStage (options: AuthStageOptions): (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void {
  const { routes, tokens } = options
  // Callback-style: Basic, API-key and pass-through routes decide synchronously,
  // with no promise per request; only an OAuth2 route may wait for its token.
  // A request answered here (no token) stops the hook chain: done() is not called.
  return (request, reply, done) => {
    const route = routes.match(request.url)
    const scheme = route.scheme
    switch (scheme.kind) {
      case 'pass-through':
        request.exchange.auth = { route, passThrough: true, authorization: undefined, apiKey: undefined }
        done()
        return
      case 'basic':
        // a default route whose credentials are missing never gets here: it gave way at start-up
        request.exchange.auth = { route, passThrough: false, authorization: options.basic(), apiKey: undefined }
        done()
        return
      case 'api-key':
        request.exchange.auth = { route, passThrough: false, authorization: undefined, apiKey: options.apiKey() }
        done()
        return
      case 'oauth2':
        withToken(request, reply, route, scheme.scope).then((answered) => { if (!answered) done() }, done)
    }
  }

  /** True when the request was answered here (no token). */
  async function withToken (request: FastifyRequest, reply: FastifyReply, route: AuthRoute, scope: string): Promise<boolean> {
    const store = tokens as TokenStore
    let token = store.current(scope)
    if (token === undefined) {
      try {
        token = await store.get(scope)
      } catch (err) {
        options.answer(reply, err instanceof SidecarRequestError ? err : new SidecarRequestError('TOKEN_UNAVAILABLE', `no valid OAuth2 token for scope ${scope}`))
        return true
      }
    }
    request.exchange.auth = { route, passThrough: false, authorization: token.authorization, apiKey: undefined, oauth: { token } }
    return false
  }
}
