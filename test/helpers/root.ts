import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The repository root. Tests run compiled from `.build/test/`, so paths are
 * found from the root rather than relative to the test file.
 */
function findRoot (from: string): string {
  let dir = from
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'bin', 'trulioo-mtls-sidecar.js'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no repository root above ${from}`)
    dir = parent
  }
  return dir
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)))
export const BIN = join(ROOT, 'bin', 'trulioo-mtls-sidecar.js')
