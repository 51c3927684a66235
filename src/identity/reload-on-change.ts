import type { Logger } from 'pino'
import { type Clock, SYSTEM_CLOCK } from '../clock.js'
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
  /** The backoff and the periodic check run on it (tests move it instead of waiting). */
  clock?: Clock
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
  const clock = options.clock ?? SYSTEM_CLOCK
  let retryIn = first
  let retry: unknown

  const attempt = (why: string): void => {
    clock.clearTimeout(retry)
    const outcome = store.reload()
    if (outcome.ok) {
      retryIn = first
      logger.info({ serialNumber: outcome.serialNumber }, `${why}: identity reloaded`)
      return
    }
    logger.error({ reason: outcome.error, retryInMs: retryIn }, `${why} but the reload failed; the previous identity keeps serving`)
    retry = clock.setTimeout(() => { attempt('retrying a failed reload') }, retryIn)
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
  const every = options.digestCheckMs ?? DIGEST_CHECK_MS
  let closed = false
  let periodic: unknown
  const check = (): void => {
    if (closed) return
    changed('files changed (periodic check)')
    periodic = clock.setTimeout(check, every)
  }
  periodic = clock.setTimeout(check, every)

  return {
    close () {
      closed = true
      clock.clearTimeout(retry)
      clock.clearTimeout(periodic)
      watcher?.close()
    }
  }
}
