import type { Logger } from 'pino'
import type { Clock } from './clock.js'
import type { Config } from './config/schema.js'
import type { IdentityStore } from './identity/identity-store.js'
import type { Lifecycle } from './lifecycle.js'
import { testAuthentication } from './upstream/test-authentication.js'
import type { UpstreamPool } from './upstream/upstream-pool.js'

const FIRST_DELAY_MS = 1_000
const MAX_DELAY_MS = 30_000

/**
 * STARTUP_CHECK: calls Trulioo's test endpoint until it answers, keeping the
 * sidecar not ready meanwhile, and says each time who refused: the TLS layer
 * (certificate) or NAPI (credentials). A reload makes it try again at once.
 */
export async function runStartupCheck (store: IdentityStore, pool: UpstreamPool, config: Config, lifecycle: Lifecycle, logger: Logger, clock: Clock): Promise<void> {
  let delay = FIRST_DELAY_MS
  // a reload during a test call must not be lost: remember it, and cut a sleep short
  let reloaded = false
  let wake: (() => void) | undefined
  const onReload = (): void => { reloaded = true; wake?.() }
  store.on('reload', onReload)
  try {
    while (!lifecycle.draining) {
      reloaded = false
      const result = await testAuthentication(pool, config, store.authorization, Math.min(config.UPSTREAM_TIMEOUT_MS, 15_000))
      if (lifecycle.draining) return
      if (result.ok) {
        lifecycle.startupCheckSucceeded()
        logger.info('start-up check passed: the certificate and the credentials were accepted')
        return
      }
      lifecycle.startupCheckFailed(result.detail)
      const who = result.refused === 'certificate'
        ? 'the client certificate was refused'
        : result.refused === 'credentials' ? 'the credentials were refused' : result.refused === 'egress-proxy' ? 'the egress proxy failed' : 'the upstream did not answer as expected'
      logger.error({ refused: result.refused, retryInMs: delay }, `start-up check failed: ${who}: ${result.detail}`)
      if (reloaded) continue
      // the backoff is on the injected clock: a test moves it instead of waiting
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(() => { resolve() }, delay)
        wake = () => { clock.clearTimeout(timer); resolve() }
      })
      wake = undefined
      delay = Math.min(delay * 2, MAX_DELAY_MS)
    }
  } finally {
    store.off('reload', onReload)
  }
}
