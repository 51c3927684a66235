import { randomBytes } from 'node:crypto'
import { chmodSync, linkSync, lstatSync, renameSync, type Stats, unlinkSync } from 'node:fs'
import net from 'node:net'
import { dirname, join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { MAX_SOCKET_PATH_LENGTH } from './config/schema.js'
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
    throw new ConfigError('LISTEN_SOCKET', `cannot inspect ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { code: 'LISTEN_FAILED' })
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
    throw new ConfigError('LISTEN_SOCKET', `${path} is ${kindOf(stats)}, not a socket: refusing to replace it`, { code: 'LISTEN_FAILED' })
  }
  if (await someoneListens(path)) {
    throw new ConfigError('LISTEN_SOCKET', `${path} is in use: another process accepts connections on it`, { code: 'LISTEN_FAILED' })
  }
  try {
    unlinkSync(path)
  } catch (err) {
    throw new ConfigError('LISTEN_SOCKET', `cannot remove the stale socket ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { code: 'LISTEN_FAILED' })
  }
}

/** The socket file this process made; removed on close if it is still that one. */
export interface ListeningSocket {
  readonly path: string
  remove (): void
}

/** Random characters of the temporary name: more when the path leaves room, never fewer than this. */
const TEMPORARY_CHARS = 10
const TEMPORARY_CHARS_MIN = 6

/**
 * A free name beside `path`, in the same folder (so that it can be linked or
 * renamed onto `path`), that still fits in sun_path.
 */
function temporaryNameBeside (path: string): string {
  const prefix = join(dirname(path), '.')
  const room = MAX_SOCKET_PATH_LENGTH - Buffer.byteLength(prefix)
  if (room < TEMPORARY_CHARS_MIN) {
    throw new ConfigError('LISTEN_SOCKET', `${path} is too long: the socket is first bound as ${prefix}${'x'.repeat(TEMPORARY_CHARS_MIN)} in the same folder, which must fit in ${MAX_SOCKET_PATH_LENGTH} bytes; use a folder with a path ${TEMPORARY_CHARS_MIN - room} bytes shorter`)
  }
  const chars = Math.min(TEMPORARY_CHARS, room)
  return prefix + randomBytes(chars).toString('base64url').slice(0, chars)
}

/**
 * Puts the socket bound at `temporary` at `path`. A hard link fails when
 * something appeared at `path` since it was cleared (another instance starting
 * at the same moment), where rename would silently replace it; rename is the
 * fallback for file systems without hard links.
 */
function moveInto (temporary: string, path: string): void {
  try {
    linkSync(temporary, path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new ConfigError('LISTEN_SOCKET', `${path} is in use: another process made it while this one was starting`, { code: 'LISTEN_FAILED' })
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EMLINK') throw err
    renameSync(temporary, path)
    return
  }
  unlinkSync(temporary)
}

/**
 * Listens on `path` with file mode `mode`.
 *
 * The socket is bound under a temporary name beside `path` and then moved
 * there. libuv unlinks the path a pipe was bound to when the server closes,
 * without looking at what is there by then (uv__pipe_close): bound at `path`
 * itself, closing would delete a socket a second instance has since made at
 * the path, or a file someone put there. Bound elsewhere, that unlink hits
 * the temporary name, long gone, and remove() deletes `path` only when it is
 * still this socket: the same device and inode.
 *
 * The umask is narrowed while the socket is bound so that it never exists,
 * even for a moment, with wider permissions; chmod then sets exactly `mode`
 * before the socket appears at `path`.
 */
export async function listenOnSocket (app: FastifyInstance, path: string, mode: number, name: string): Promise<ListeningSocket> {
  const temporary = temporaryNameBeside(path)
  await clearStaleSocket(path)
  await app.ready()
  let moved: { dev: number, ino: number } | undefined
  let failed: unknown
  // Registered before Fastify's own listener: the socket is at `path` before
  // the "listening" line is logged, so whoever waits for that line finds it.
  const place = (): void => {
    try {
      chmodSync(temporary, mode)
      moveInto(temporary, path)
      const stats = lstatSync(path)
      moved = { dev: stats.dev, ino: stats.ino }
      // server.address() returns the name the pipe was bound to (net.Server's
      // _pipeName); what it reports is the configured path, as everything else does.
      if (app.server.address() === temporary) (app.server as unknown as { _pipeName: string })._pipeName = path
    } catch (err) {
      failed = err
    }
  }
  app.server.once('listening', place)
  const previous = process.umask(0o777 & ~mode)
  try {
    await app.listen({
      path: temporary,
      listenTextResolver: () => moved === undefined ? `${name} bound a socket but could not put it at ${path}` : `${name} listening on unix:${path}`
    })
  } catch (err) {
    app.server.removeListener('listening', place)
    const code = (err as NodeJS.ErrnoException).code
    const reason = code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'its folder does not exist' : code === 'EADDRINUSE' ? 'is already in use' : (code ?? (err as Error).message)
    throw new ConfigError('LISTEN_SOCKET', `cannot listen on ${path}: ${reason}`, { code: 'LISTEN_FAILED' })
  } finally {
    process.umask(previous)
  }
  if (moved === undefined) {
    // the server's close unlinks the temporary name, if it is still there
    if (failed instanceof ConfigError) throw failed
    const code = (failed as NodeJS.ErrnoException | undefined)?.code
    throw new ConfigError('LISTEN_SOCKET', `cannot put the socket at ${path}: ${code ?? (failed as Error | undefined)?.message ?? 'unknown error'}`, { code: 'LISTEN_FAILED' })
  }
  const ours = moved
  return {
    path,
    remove () {
      // The server's close unlinked only the temporary name: `path` is
      // removed here, and only while it is the socket this process made.
      const now = statOf(path)
      if (now?.isSocket() === true && now.dev === ours.dev && now.ino === ours.ino) unlinkSync(path)
    }
  }
}

/** LISTEN_SOCKET_MODE as a number: `0660`, `660` and `0o660` all mean rw for owner and group. */
export function parseSocketMode (text: string): number {
  return Number.parseInt(text.replace(/^0o/i, ''), 8)
}
