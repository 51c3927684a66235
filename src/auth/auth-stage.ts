import { PassThrough, Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { SidecarRequestError } from '../errors.js'
import type { AuthRoute, AuthRoutes } from './auth-routes.js'
import type { Token, TokenStore } from './token-store.js'

/** The largest request body kept on an OAuth2 route, so that a 401 with a stale token can be replayed. */
export const MAX_REPLAY_BODY_BYTES = 64 * 1024

/** What the forward stage puts on the upstream request for one request. */
export interface UpstreamAuth {
  readonly route: AuthRoute
  /** False: the application's own Authorization and x-trulioo-api-key are dropped. */
  readonly passThrough: boolean
  readonly authorization: string | undefined
  readonly apiKey: string | undefined
  /** OAuth2 routes only: the token sent, and the body kept for a replay (undefined: not replayable). */
  readonly oauth?: { readonly token: Token, readonly body: Buffer | null | undefined, readonly tokens: TokenStore }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Stage 3's decision: the credentials this request carries upstream. */
    upstreamAuth: UpstreamAuth | undefined
  }
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
 * way, or gets 503 TOKEN_UNAVAILABLE and never reaches the upstream. On an
 * OAuth2 route a body of at most 64 KiB (by Content-Length) is kept, so a
 * 401 can be replayed once with a new token.
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
        request.upstreamAuth = { route, passThrough: true, authorization: undefined, apiKey: undefined }
        done()
        return
      case 'basic':
        // a default route whose credentials are missing never gets here: it gave way at start-up
        request.upstreamAuth = { route, passThrough: false, authorization: options.basic(), apiKey: undefined }
        done()
        return
      case 'api-key':
        request.upstreamAuth = { route, passThrough: false, authorization: undefined, apiKey: options.apiKey() }
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
    const body = await keptBody(request)
    request.upstreamAuth = { route, passThrough: false, authorization: token.authorization, apiKey: undefined, oauth: { token, body, tokens: store } }
    return false
  }
}

/**
 * The request body as a Buffer when it may be replayed: null for no body,
 * undefined when it streams (no Content-Length, or over 64 KiB). A kept body
 * is handed on as a fresh stream, so reply-from sends it as before.
 */
async function keptBody (request: FastifyRequest): Promise<Buffer | null | undefined> {
  const raw = request.body
  if (raw === undefined || raw === null) return null
  if (!(raw instanceof Readable)) return undefined
  const declared = request.headers['content-length']
  if (declared === undefined || Number(declared) > MAX_REPLAY_BODY_BYTES) return undefined
  const chunks: Buffer[] = []
  for await (const chunk of raw) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks)
  const copy = new PassThrough()
  copy.end(body)
  request.body = copy
  return body
}
