import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import type { Logger } from 'pino'
import { egressProxyFor, upstreamTarget } from '../config/egress-proxy.js'
import { type AuthRoutes, describeRoutes } from '../auth/auth-routes.js'
import type { TokenStore } from '../auth/token-store.js'
import type { Config } from '../config/schema.js'
import type { IdentityStore } from '../identity/identity-store.js'
import { daysLeft } from '../identity/load-identity.js'
import type { Readiness } from '../readiness.js'
import type { Clock } from '../clock.js'
import type { LifecycleFacts } from '../lifecycle.js'
import type { TransactionLog } from '../journal/transaction-log.js'
import type { SidecarMetrics } from './metrics.js'
import { NO_ROUTE_SCHEMAS } from '../no-route-schemas.js'
import type { StoreHealth } from '../journal/journal-store.js'

export interface AdminAppOptions {
  config: Readonly<Config>
  store: IdentityStore
  lifecycle: LifecycleFacts
  clock: Pick<Clock, 'now'>
  readiness: Readiness
  metrics: SidecarMetrics
  logger: Logger
  version: string
  routes: AuthRoutes
  tokens: TokenStore | undefined
  /** The billable calls to reconcile (/transactions). */
  transactions: TransactionLog
  /** The idempotency journal's store (memory unless IDEMPOTENCY_STORE names a shared one). */
  journalStore: () => StoreHealth
}

/**
 * The admin listener, separate from the proxy so that no admin path can
 * shadow an upstream path: /livez, /readyz, /metrics, /status, /transactions.
 * Nothing here ever shows a secret, key material or a body.
 */
export function buildAdminApp (options: AdminAppOptions): FastifyInstance {
  const { config, store, lifecycle, clock, readiness, metrics } = options
  const app = Fastify({
    loggerInstance: options.logger.child({ listener: 'admin' }) as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    schemaController: { compilersFactory: NO_ROUTE_SCHEMAS }
  })

  app.get('/livez', async () => ({ status: 'ok' }))

  app.get('/readyz', async (_request, reply) => {
    const checks = readiness.checks()
    const ready = checks.every((c) => c.ok)
    reply.code(ready ? 200 : 503)
    return { status: ready ? 'ready' : 'not ready', checks }
  })

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.contentType)
    return metrics.render()
  })

  // the last day's billable calls whose answer was lost or whose outcome is unknown: ids, never bodies
  app.get('/transactions', async () => options.transactions.list())

  const egressProxy = egressProxyFor(config, upstreamTarget(config).host, upstreamTarget(config).port)
  app.get('/status', async () => {
    const { info, loadedAt } = store.identity
    const last = store.lastReload
    return {
      version: options.version,
      upstreamUrl: config.UPSTREAM_URL,
      // the URL without userinfo: credentials never leave the identity store
      egressProxy: egressProxy === undefined ? null : { url: egressProxy.shown, from: egressProxy.variable },
      credentials: store.authorization === undefined ? 'pass-through' : 'injected',
      // which scheme each path prefix uses, and per OAuth2 scope whether a token is held: never a token or a secret
      auth: {
        routes: describeRoutes(options.routes),
        fromDefault: options.routes.fromDefault,
        tokenUrl: options.tokens === undefined ? null : config.TOKEN_URL,
        tokens: options.tokens?.status() ?? {}
      },
      ready: readiness.ready,
      // kind, URL without credentials, whether it answers; readiness does not depend on it
      idempotencyStore: options.journalStore(),
      certificate: {
        subject: info.subject,
        issuer: info.issuer,
        serialNumber: info.serialNumber,
        fingerprintSha256: info.fingerprint256,
        notBefore: info.notBefore.toISOString(),
        notAfter: info.notAfter.toISOString(),
        daysLeft: daysLeft(info, new Date(clock.now())),
        source: info.source,
        loadedAt: loadedAt.toISOString()
      },
      // every member of the identity set (one for TLS_CERT_FILE / TLS_PFX_FILE), in the directory's order
      identities: store.memberStatus().map((m) => ({
        member: m.name,
        state: m.state,
        ...(m.info === undefined
          ? {}
          : { subject: m.info.subject, serialNumber: m.info.serialNumber, notBefore: m.info.notBefore.toISOString(), notAfter: m.info.notAfter.toISOString(), daysLeft: daysLeft(m.info, new Date(clock.now())) }),
        ...(m.rejection === undefined ? {} : { rejected: { alert: m.rejection.alert, at: new Date(m.rejection.at).toISOString(), retryAt: new Date(m.rejection.until).toISOString(), times: m.rejection.count } }),
        ...(m.error === undefined ? {} : { error: m.error })
      })),
      uptimeSeconds: Math.round(lifecycle.uptimeMs / 1000),
      draining: lifecycle.draining,
      inFlight: lifecycle.inFlight,
      lastReload: last === undefined
        ? null
        : { at: last.at.toISOString(), outcome: last.ok ? 'success' : 'failure', ...(last.error === undefined ? {} : { error: last.error }) }
    }
  })

  return app
}
