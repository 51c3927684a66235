import type { Logger } from 'pino'
import type { IdentityStore } from './identity-store.js'
import { contentDigest, type Watcher, watchFiles } from './watch-files.js'

/** A failed reload is tried again after this long, doubling up to RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 30_000
export const RETRY_MAX_MS = 3_600_000

/** How often the files' digest is compared anyway, in case the watcher missed an event. */
export const DIGEST_CHECK_MS = 60_000

export interface ReloadOnChangeOptions {
  retryFirstMs?: number
  retryMaxMs?: number
  /** The periodic digest check; DIGEST_CHECK_MS by default. */
  digestCheckMs?: number
  /** False: no file-system events at all, only the periodic check (for tests of a missed event). */
  fileEvents?: boolean
}

/**
 * Reloads the store when its files change. A reload that fails keeps the
 * old identity serving and is tried again later with backoff, so a
 * certificate whose notBefore is a little ahead of this clock, or a file
 * fixed by a write the watcher missed, is still picked up. Unchanged content
 * is not reloaded on every event, and a change whose event was missed is
 * found by a periodic digest check.
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

  const changed = (why: string): void => {
    const digest = contentDigest(paths)
    if (digest === lastSeen) return
    lastSeen = digest
    retryIn = first
    attempt(why)
  }
  const watcher = options.fileEvents === false
    ? undefined
    : watchFiles(paths, () => { changed('files changed') }, (err) => {
      logger.error({ errorCode: (err as NodeJS.ErrnoException).code }, `cannot watch the identity files: ${err.message}`)
    })
  // File-system events can be missed (an overlay or network file system, a
  // watcher that errored, inotify limits): compare the digest now and then too.
  const periodic = setInterval(() => { changed('files changed (periodic check)') }, options.digestCheckMs ?? DIGEST_CHECK_MS)
  periodic.unref()

  return {
    close () {
      clearTimeout(retry)
      clearInterval(periodic)
      watcher?.close()
    }
  }
}
