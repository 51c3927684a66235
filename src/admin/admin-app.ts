import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import type { Logger } from 'pino'
import type { IdentityStore } from '../identity/identity-store.js'
import { daysLeft } from '../identity/load-identity.js'
import type { SidecarState } from '../state.js'
import { readinessChecks } from './health.js'
import type { SidecarMetrics } from './metrics.js'

export interface AdminAppOptions {
  store: IdentityStore
  state: SidecarState
  metrics: SidecarMetrics
  logger: Logger
  version: string
}

/**
 * The admin listener, separate from the proxy so that no admin path can
 * shadow an upstream path: /livez, /readyz, /metrics, /status.
 * Nothing here ever shows a secret or key material.
 */
export function buildAdminApp (options: AdminAppOptions): FastifyInstance {
  const { store, state, metrics } = options
  const app = Fastify({
    loggerInstance: options.logger.child({ listener: 'admin' }) as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true })
  })

  app.get('/livez', async () => ({ status: 'ok' }))

  app.get('/readyz', async (_request, reply) => {
    const checks = readinessChecks(store, state)
    const ready = checks.every((c) => c.ok)
    reply.code(ready ? 200 : 503)
    return { status: ready ? 'ready' : 'not ready', checks }
  })

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType)
    return await metrics.registry.metrics()
  })

  app.get('/status', async () => {
    const { info, loadedAt } = store.identity
    const config = store.config
    const last = store.lastReload
    return {
      version: options.version,
      upstreamUrl: config.UPSTREAM_URL,
      credentials: store.authorization === undefined ? 'pass-through' : 'injected',
      certificate: {
        subject: info.subject,
        issuer: info.issuer,
        serialNumber: info.serialNumber,
        fingerprintSha256: info.fingerprint256,
        notBefore: info.notBefore.toISOString(),
        notAfter: info.notAfter.toISOString(),
        daysLeft: daysLeft(info),
        source: info.source,
        loadedAt: loadedAt.toISOString()
      },
      uptimeSeconds: Math.round((Date.now() - state.startedAt.getTime()) / 1000),
      draining: state.draining,
      inFlight: state.inFlight,
      lastReload: last === undefined
        ? null
        : { at: last.at.toISOString(), outcome: last.ok ? 'success' : 'failure', ...(last.error === undefined ? {} : { error: last.error }) }
    }
  })

  return app
}
