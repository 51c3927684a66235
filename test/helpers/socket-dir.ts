import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent } from 'undici'
import type { Teardown } from './harness.js'

/** A fresh folder for socket files (kept short: a socket path has ~100 bytes at most), removed at teardown. */
export function socketDir (t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sock-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

/** An application's HTTP client that connects over the UNIX socket at `path`. */
export function socketClient (t: Teardown, path: string): Agent {
  const agent = new Agent({ connect: { socketPath: path }, keepAliveTimeout: 1000 })
  t.teardown(() => agent.destroy())
  return agent
}
