import { chmodSync, lstatSync, type Stats, unlinkSync } from 'node:fs'
import net from 'node:net'
import type { FastifyInstance } from 'fastify'
import { ConfigError } from './errors.js'

/**
 * The proxy listener on a UNIX socket (LISTEN_SOCKET), for hosts shared with
 * other users, where a loopback TCP port is open to every local account and
 * file permissions are the usual answer (ghostunnel, Envoy, nginx, HAProxy).
 */

const PROBE_MS = 1_000

/** What is at `path`, or undefined when nothing is. */
function statOf (path: string): Stats | undefined {
  try {
    return lstatSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ConfigError('LISTEN_SOCKET', `cannot inspect ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

function kindOf (stats: Stats): string {
  if (stats.isFile()) return 'a regular file'
  if (stats.isDirectory()) return 'a directory'
  if (stats.isSymbolicLink()) return 'a symbolic link'
  if (stats.isFIFO()) return 'a named pipe'
  return 'not a socket'
}

/** True when a process accepts connections on the socket at `path`. */
function someoneListens (path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect({ path })
    const done = (answer: boolean): void => { clearTimeout(timer); probe.destroy(); resolve(answer) }
    // a socket that takes no connection within the bound is taken as stale, not as alive
    const timer = setTimeout(() => { done(false) }, PROBE_MS)
    probe.once('connect', () => { done(true) })
    probe.once('error', () => { done(false) })
  })
}

/**
 * Makes `path` free for a new socket. A socket file nobody accepts on (left by
 * a crashed run) is removed; a live socket or anything else is refused, so a
 * typo in LISTEN_SOCKET can never delete a file or steal another's socket.
 */
async function clearStaleSocket (path: string): Promise<void> {
  const stats = statOf(path)
  if (stats === undefined) return
  if (!stats.isSocket()) {
    throw new ConfigError('LISTEN_SOCKET', `${path} is ${kindOf(stats)}, not a socket: refusing to replace it`)
  }
  if (await someoneListens(path)) {
    throw new ConfigError('LISTEN_SOCKET', `${path} is in use: another process accepts connections on it`)
  }
  try {
    unlinkSync(path)
  } catch (err) {
    throw new ConfigError('LISTEN_SOCKET', `cannot remove the stale socket ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

/** The socket file this process made; removed on close if it is still that one. */
export interface ListeningSocket {
  readonly path: string
  remove (): void
}

/**
 * Listens on `path` with file mode `mode`. The umask is narrowed while the
 * socket is bound so that it never exists, even for a moment, with wider
 * permissions; chmod then sets exactly `mode`.
 */
export async function listenOnSocket (app: FastifyInstance, path: string, mode: number, name: string): Promise<ListeningSocket> {
  await clearStaleSocket(path)
  await app.ready()
  const previous = process.umask(0o777 & ~mode)
  try {
    await app.listen({ path, listenTextResolver: () => `${name} listening on unix:${path}` })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const reason = code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'its folder does not exist' : code === 'EADDRINUSE' ? 'is already in use' : (code ?? (err as Error).message)
    throw new ConfigError('LISTEN_SOCKET', `cannot listen on ${path}: ${reason}`)
  } finally {
    process.umask(previous)
  }
  chmodSync(path, mode)
  const ino = lstatSync(path).ino
  return {
    path,
    remove () {
      // Node removes the file when the server closes; this covers the rest, and
      // never removes a socket another instance has since made at the path.
      const now = statOf(path)
      if (now?.isSocket() === true && now.ino === ino) unlinkSync(path)
    }
  }
}

/** LISTEN_SOCKET_MODE as a number: `0660`, `660` and `0o660` all mean rw for owner and group. */
export function parseSocketMode (text: string): number {
  return Number.parseInt(text.replace(/^0o/i, ''), 8)
}
