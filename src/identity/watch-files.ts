import { createHash } from 'node:crypto'
import { type FSWatcher, watch } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { readFileSafely } from '../config/read-file-safely.js'

export interface Watcher { close (): void }

/** Settles a burst of events (an editor's save, a Secret update) into one. */
export const DEBOUNCE_MS = 300

/**
 * Calls `onChange` when any of `paths` may have changed. It watches the
 * folders, not the files: Kubernetes updates a Secret volume by swapping the
 * `..data` symlink, so the watched path itself never changes, and editors
 * replace files rather than write them in place. Events are debounced.
 */
export function watchFiles (paths: readonly string[], onChange: () => void, onError: (err: Error) => void): Watcher {
  const dirs = [...new Set(paths.map((p) => dirname(resolve(p))))]
  let timer: NodeJS.Timeout | undefined
  const fire = (): void => {
    clearTimeout(timer)
    timer = setTimeout(onChange, DEBOUNCE_MS)
    timer.unref()
  }
  const watchers: FSWatcher[] = []
  for (const dir of dirs) {
    try {
      const w = watch(dir, { persistent: false }, fire)
      w.on('error', onError)
      watchers.push(w)
    } catch (err) {
      onError(err as Error)
    }
  }
  return {
    close () {
      clearTimeout(timer)
      for (const w of watchers) w.close()
    }
  }
}

/**
 * A digest of the files' contents (following symlinks), so that events that
 * changed nothing we read (a sibling file, the `..2026_…` folder a Secret
 * update creates first) do not cause a reload.
 */
export function contentDigest (paths: readonly string[]): string {
  const hash = createHash('sha256')
  for (const path of paths) {
    hash.update(path).update('\0')
    try {
      // never readFileSync: a FIFO or a device swapped in would block the event loop
      hash.update(readFileSafely(path))
    } catch (err) {
      hash.update(`unreadable:${(err as NodeJS.ErrnoException).code ?? 'error'}`)
    }
    hash.update('\0')
  }
  return hash.digest('hex')
}
