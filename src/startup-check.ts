import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { Config } from './config/schema.js'
import type { IdentityStore } from './identity/identity-store.js'
import type { SidecarState } from './state.js'
import { testAuthentication } from './upstream/test-authentication.js'
import type { UpstreamPool } from './upstream/upstream-pool.js'

const FIRST_DELAY_MS = 1_000
const MAX_DELAY_MS = 30_000

/**
 * STARTUP_CHECK: calls Trulioo's test endpoint until it answers, keeping the
 * sidecar not ready meanwhile, and says each time who refused: the TLS layer
 * (certificate) or NAPI (credentials). A reload makes it try again at once.
 */
export async function runStartupCheck (store: IdentityStore, pool: UpstreamPool, config: Config, state: SidecarState, logger: Logger): Promise<void> {
  let delay = FIRST_DELAY_MS
  // a reload during a test call must not be lost: remember it, and cut a sleep short
  let reloaded = false
  let wake: (() => void) | undefined
  const onReload = (): void => { reloaded = true; wake?.() }
  store.on('reload', onReload)
  try {
    while (!state.draining) {
      reloaded = false
      const result = await testAuthentication(pool, config, store.authorization, Math.min(config.UPSTREAM_TIMEOUT_MS, 15_000))
      if (state.draining) return
      if (result.ok) {
        state.startupCheckPassed = true
        state.startupCheckDetail = undefined
        logger.info('start-up check passed: the certificate and the credentials were accepted')
        return
      }
      state.startupCheckDetail = result.detail
      const who = result.refused === 'certificate'
        ? 'the client certificate was refused'
        : result.refused === 'credentials' ? 'the credentials were refused' : result.refused === 'egress-proxy' ? 'the egress proxy failed' : 'the upstream did not answer as expected'
      logger.error({ refused: result.refused, retryInMs: delay }, `start-up check failed: ${who}: ${result.detail}`)
      if (reloaded) continue
      const controller = new AbortController()
      wake = () => { controller.abort() }
      await sleep(delay, undefined, { signal: controller.signal, ref: false }).catch(() => {})
      wake = undefined
      delay = Math.min(delay * 2, MAX_DELAY_MS)
    }
  } finally {
    store.off('reload', onReload)
  }
}
