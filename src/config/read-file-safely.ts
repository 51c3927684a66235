import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'

/**
 * The one way the sidecar reads a file it was pointed at: the identity,
 * the CA bundle, secret files, the `.env` file. A path may name anything,
 * by mistake or by malice, and a plain readFileSync on some of them never
 * returns: a FIFO with no writer blocks the event loop in open(2) (and /livez
 * with it), /dev/zero and /dev/urandom never end, a huge file fills memory.
 *
 * So the file is opened with O_NONBLOCK (open(2) on a FIFO returns at once),
 * checked with fstat on the descriptor (no window for a swap between the check
 * and the read), and read only when it is a regular file of at most `maxBytes`,
 * reading no more than that even if it grows meanwhile.
 */

/** 1 MiB: far more than any PEM bundle, PKCS#12 file, secret or .env file needs. */
export const MAX_FILE_BYTES = 1024 * 1024

/** A path that names something other than a readable regular file of sane size. */
export class UnsafeFileError extends Error {
  readonly code: 'ERR_NOT_REGULAR_FILE' | 'ERR_FILE_TOO_LARGE'

  constructor (code: UnsafeFileError['code'], message: string) {
    super(message)
    this.name = 'UnsafeFileError'
    this.code = code
  }
}

export interface ReadSafelyOptions {
  /** Largest size accepted, in bytes; MAX_FILE_BYTES by default. */
  maxBytes?: number
}

// O_NONBLOCK keeps open(2) on a FIFO from waiting for a writer; it changes
// nothing for a regular file. O_NOCTTY: a terminal device never becomes ours.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0)

export function readFileSafely (path: string, options?: ReadSafelyOptions): Buffer
export function readFileSafely (path: string, options: ReadSafelyOptions & { encoding: 'utf8' }): string
export function readFileSafely (path: string, options: ReadSafelyOptions & { encoding?: 'utf8' } = {}): Buffer | string {
  const maxBytes = options.maxBytes ?? MAX_FILE_BYTES
  const fd = openSync(path, OPEN_FLAGS)
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) throw new UnsafeFileError('ERR_NOT_REGULAR_FILE', `is ${kindOf(stat)}, not a regular file`)
    if (stat.size > maxBytes) throw tooLarge(maxBytes, stat.size)
    // One byte more than allowed, so a file that grew since fstat is caught too.
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1)
    let length = 0
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null)
      if (n === 0) break
      length += n
    }
    if (length > maxBytes) throw tooLarge(maxBytes)
    const data = buffer.subarray(0, length)
    return options.encoding === 'utf8' ? data.toString('utf8') : data
  } finally {
    closeSync(fd)
  }
}

function tooLarge (maxBytes: number, size?: number): UnsafeFileError {
  const limit = maxBytes === MAX_FILE_BYTES ? '1 MiB' : `${maxBytes} bytes`
  return new UnsafeFileError('ERR_FILE_TOO_LARGE', `is larger than ${limit}${size === undefined ? '' : ` (${size} bytes)`}: not a certificate, key or secret`)
}

function kindOf (stat: ReturnType<typeof fstatSync>): string {
  if (stat.isDirectory()) return 'a directory'
  if (stat.isFIFO()) return 'a FIFO (named pipe)'
  if (stat.isCharacterDevice()) return 'a character device'
  if (stat.isBlockDevice()) return 'a block device'
  if (stat.isSocket()) return 'a socket'
  return 'not a file'
}

/** What went wrong reading a file, in words, for the one-line error. */
export function describeFsError (err: unknown): string {
  if (err instanceof UnsafeFileError) return err.message
  const e = err as NodeJS.ErrnoException
  switch (e.code) {
    case 'ENOENT': return 'no such file'
    case 'EACCES':
    case 'EPERM': return 'permission denied'
    case 'EISDIR': return 'is a directory, not a regular file'
    case 'ELOOP': return 'too many levels of symbolic links'
    // open(2) on a Unix socket, or a device with nothing behind it
    case 'ENXIO': return 'is a socket or a device, not a regular file'
    default: return e.code ?? e.message
  }
}
