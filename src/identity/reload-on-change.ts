import type { Logger } from 'pino'
import type { IdentityStore } from './identity-store.js'
import { contentDigest, type Watcher, watchFiles } from './watch-files.js'

/** A failed reload is tried again after this long, doubling up to RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 30_000
export const RETRY_MAX_MS = 3_600_000

export interface ReloadOnChangeOptions {
  retryFirstMs?: number
  retryMaxMs?: number
}

/**
 * Reloads the store when its files change. A reload that fails keeps the
 * old identity serving and is tried again later with backoff, so a
 * certificate whose notBefore is a little ahead of this clock, or a file
 * fixed by a write the watcher missed, is still picked up. Unchanged content
 * is not reloaded on every event.
 */
export function reloadOnChange (store: IdentityStore, logger: Logger, options: ReloadOnChangeOptions = {}): Watcher {
  const first = options.retryFirstMs ?? RETRY_FIRST_MS
  const most = options.retryMaxMs ?? RETRY_MAX_MS
  const paths = store.files
  let lastSeen = contentDigest(paths)
  let retryIn = first
  let retry: NodeJS.Timeout | undefined

  const attempt = (why: string): void => {
    clearTimeout(retry)
    const outcome = store.reload()
    if (outcome.ok) {
      retryIn = first
      logger.info({ serialNumber: outcome.serialNumber }, `${why}: identity reloaded`)
      return
    }
    logger.error({ reason: outcome.error, retryInMs: retryIn }, `${why} but the reload failed; the previous identity keeps serving`)
    retry = setTimeout(() => { attempt('retrying a failed reload') }, retryIn)
    retry.unref()
    retryIn = Math.min(retryIn * 2, most)
  }

  const watcher = watchFiles(paths, () => {
    const digest = contentDigest(paths)
    if (digest === lastSeen) return
    lastSeen = digest
    retryIn = first
    attempt('files changed')
  }, (err) => { logger.error({ errorCode: (err as NodeJS.ErrnoException).code }, `cannot watch the identity files: ${err.message}`) })

  return {
    close () {
      clearTimeout(retry)
      watcher.close()
    }
  }
}
