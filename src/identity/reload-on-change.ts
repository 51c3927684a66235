import type { Logger } from 'pino'
import type { Config } from '../config/schema.js'
import type { IdentityStore } from './identity-store.js'
import { contentDigest, type Watcher, watchFiles } from './watch-files.js'

/** Every file whose change means a new identity or new credentials. */
export function watchedPaths (config: Config): string[] {
  return [
    config.TLS_CERT_FILE, config.TLS_KEY_FILE, config.TLS_PFX_FILE, config.TLS_CA_FILE,
    config.TLS_PASSPHRASE_FILE, config.TRULIOO_USERNAME_FILE, config.TRULIOO_PASSWORD_FILE
  ].filter((p): p is string => p !== undefined)
}

/**
 * Reloads the store when its files change. A reload that fails keeps the
 * old identity serving; the same bad content is not retried until it
 * changes again, so a half-written file costs one failed reload, and the
 * complete write that follows is picked up.
 */
export function reloadOnChange (store: IdentityStore, logger: Logger): Watcher {
  const paths = watchedPaths(store.config)
  let lastSeen = contentDigest(paths)
  return watchFiles(paths, () => {
    const digest = contentDigest(paths)
    if (digest === lastSeen) return
    lastSeen = digest
    const outcome = store.reload()
    if (outcome.ok) logger.info({ serialNumber: outcome.serialNumber }, 'files changed: identity reloaded')
    else logger.error({ reason: outcome.error }, 'files changed but the reload failed; the previous identity keeps serving')
  }, (err) => { logger.error({ errorCode: (err as NodeJS.ErrnoException).code }, `cannot watch the identity files: ${err.message}`) })
}
