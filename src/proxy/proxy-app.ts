import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyServerOptions, LogController } from 'fastify'
import type { Logger } from 'pino'
import type { AuthRoutes } from '../auth/auth-routes.js'
import { authStage } from '../auth/auth-stage.js'
import { replayOn401 } from '../auth/replay-on-401.js'
import type { TokenStore } from '../auth/token-store.js'
import type { Clock } from '../clock.js'
import type { Config } from '../config/schema.js'
import { upstreamOrigin, upstreamServername } from '../config/load-config.js'
import type { SidecarRequestError } from '../errors.js'
import type { IdentityStore } from '../identity/identity-store.js'
import { BillableRoutes } from '../journal/billable-routes.js'
import { journalTee } from '../journal/journal-dispatcher.js'
import { Journal } from '../journal/journal-stage.js'
import type { SharedJournal } from '../journal/open-store.js'
import { NO_ROUTE_SCHEMAS } from '../no-route-schemas.js'
import type { Readiness } from '../readiness.js'
import type { Lifecycle } from '../lifecycle.js'
import { handshakeRefusal } from '../upstream/fallback.js'
import { composeOnUndici7 } from '../upstream/undici7-bridge.js'
import type { UpstreamPool } from '../upstream/upstream-pool.js'
import type { AccessLog, AccessRecord } from './access-record.js'
import { Admission } from './admit.js'
import { admitStage, unroutableTarget } from './admit-stage.js'
import { answerError } from './answer-errors.js'
import type { ConnectionRegistry } from './connection-state.js'
import type { Exchange } from './exchange.js'
import { Failures } from './failures.js'
import { registerForward } from './forward.js'
import { metering } from './metering.js'
import { requestIdOf } from './header-policy.js'
import { clientErrorHandler, proxyServerFactory } from './listener.js'
import { readBodyStage } from './read-body.js'
import { RequestLifecycle } from './request-lifecycle.js'
import { rewriteTarget } from './target.js'

export interface ProxyAppOptions {
  config: Readonly<Config>
  store: IdentityStore
  pool: UpstreamPool
  readiness: Readiness
  lifecycle: Lifecycle
  logger: Logger
  accessLog: AccessLog
  connections: ConnectionRegistry
  routes: AuthRoutes
  tokens: TokenStore | undefined
  /** The journal's clock: kept answers' TTL, and how long a retry waits. */
  clock: Clock
  /** A shared journal store (IDEMPOTENCY_STORE); the memory store otherwise. */
  sharedJournal?: SharedJournal | undefined
}

/**
 * The proxy listener: plain HTTP in from the application, mutual TLS out to
 * the one configured upstream. A request meets the stages in this order:
 *
 *   1 admit     admit-stage.ts, admit.ts, target.ts, read-body.ts
 *                 record begun, method, target, size, proxy token, readiness;
 *                 pipelining behind a body; a small body read whole
 *   2 headers   header-policy.ts   what crosses, both directions (applied in
 *                                  forward.ts's header rewrites)
 *   3 auth      ../auth/           the route's scheme: Basic, Bearer, API key, pass-through
 *   4 forward   ../journal/        a billable call marked (BILLABLE_ROUTES: its answer read for
 *                                  Trulioo's transaction ids, fed by metering.ts);
 *                                  a keyed POST/PATCH: run, replay, wait or refuse; the answer kept
 *               forward.ts         the one proxy route, to the pool through undici interceptors
 *                                  composed once below (dispatcher.compose(), undici's handler
 *                                  API): metering.ts (bytes, deadlines, the body gate, a sent
 *                                  call seen through), the journal's tee
 *                                  (../journal/journal-dispatcher.ts), the 401 replay
 *                                  (../auth/replay-on-401.ts)
 *   5 answer    failures.ts        every failure classified, logged once, answered
 *                                  (answer-errors.ts)
 *   6 record    request-lifecycle.ts, access-record.ts   one record per request, written once
 *
 * Below Fastify, listener.ts wires the HTTP server. Built without a process, so tests drive it.
 */
export async function buildProxyApp (options: ProxyAppOptions): Promise<FastifyInstance> {
  const { config, store, pool, logger } = options
  const admission = new Admission({ maxBodyBytes: config.MAX_BODY_BYTES, proxyAuthToken: config.PROXY_AUTH_TOKEN }, options.readiness)
  const requests = new RequestLifecycle(options.accessLog, options.connections, options.lifecycle, logger)
  const failures = new Failures({ fates: pool.fates, servername: upstreamServername(config), maxBodyBytes: config.MAX_BODY_BYTES, logger })
  const answer = (reply: FastifyReply, err: SidecarRequestError): void => { answerError(reply, reply.request.record, err) }
  const journal = new Journal({ config, clock: options.clock, logger, draining: () => options.lifecycle.draining, answer, shared: options.sharedJournal })
  const app = Fastify({
    ...quietFastify(logger),
    rewriteUrl: rewriteTarget,
    frameworkErrors: unroutableTarget(requests),
    clientErrorHandler: clientErrorHandler(requests),
    serverFactory: proxyServerFactory({ admission, connections: options.connections, lifecycle: requests, keepAliveMs: config.CLIENT_KEEP_ALIVE_TIMEOUT_MS })
  })
  app.decorateRequest('record', null as unknown as AccessRecord)
  app.decorateRequest('exchange', null as unknown as Exchange)
  app.addHook('onRequest', admitStage(admission, requests))
  app.setNotFoundHandler(failures.notFound)
  app.setErrorHandler(failures.framework)
  // Fastify's own parsers would buffer and decode bodies (text/plain as UTF-8, up
  // to 1 MiB); http-proxy only replaces the JSON and catch-all ones. With none
  // left, its catch-all hands every body over as the raw stream.
  app.removeAllContentTypeParsers()
  app.addHook('preHandler', readBodyStage({ maxBodyBytes: config.MAX_BODY_BYTES, clientBodyMs: config.CLIENT_BODY_TIMEOUT_MS, answer }))
  // a billable call is marked, and its answer read for the transaction ids, kept or replayed
  app.addHook('preHandler', new BillableRoutes(config).stage)
  // before auth: a kept answer is replayed without a token, and a retry never waits for one
  app.addHook('preHandler', journal.stage)
  app.addHook('preHandler', authStage({ routes: options.routes, tokens: options.tokens, basic: () => store.authorization, apiKey: () => store.credentials.apiKey, answer }))
  const limits = { queueMs: config.UPSTREAM_QUEUE_TIMEOUT_MS, clientBodyMs: config.CLIENT_BODY_TIMEOUT_MS, headersMs: config.UPSTREAM_TIMEOUT_MS, connections: config.UPSTREAM_CONNECTIONS }
  // stage 4's interceptors; the last listed sees the request first and the answer last:
  // metering, then the journal's tee, then the 401 replay (so the journal keeps the answer
  // the application gets, after a replay). On undici 8: pool.dispatcher.compose([...]).
  // over TLS 1.3 a refused certificate's alert comes after the request was written: nothing ran
  const nothingRan = (err: Error): boolean => handshakeRefusal(err, pool.fates) !== undefined
  const dispatcher = composeOnUndici7(pool.dispatcher, [
    options.tokens === undefined ? null : replayOn401(options.tokens),
    journalTee(nothingRan),
    metering(config.MAX_BODY_BYTES, limits, failures.upstreamBody, nothingRan)
  ])
  await registerForward(app, { origin: upstreamOrigin(config), dispatcher, draining: () => options.lifecycle.draining, failures })
  return app
}

/**
 * Fastify's logging and schema machinery, off: one access line per request
 * (the record) instead of Fastify's two, no child logger per request (the
 * lines that need the id carry it), no schema compiler for routes that
 * declare no schema.
 */
function quietFastify (logger: Logger): FastifyServerOptions {
  // The proxy route's own logger is held at 'error' (forward.ts): made once here,
  // where Fastify would otherwise make a child logger per request.
  const routeLogger = logger.child({}, { level: 'error' })
  return {
    loggerInstance: logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    childLoggerFactory: (parent, _bindings, opts) => opts.level === 'error' ? routeLogger as unknown as typeof parent : parent,
    genReqId: requestIdOf,
    return503OnClosing: false,
    schemaController: { compilersFactory: NO_ROUTE_SCHEMAS }
  }
}
