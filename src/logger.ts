import { writeSync } from 'node:fs'
import pino, { type DestinationStream, type Logger } from 'pino'
import { SECRET_VARIABLES, URLS_WITH_CREDENTIALS } from './config/schema.js'

/**
 * Paths that must never reach a log line, whatever object is logged by
 * mistake. The proxy logs no headers and no bodies in the first place; this
 * is the second line of defence. Every secret setting is in it, from the one
 * list in the schema (SECRET_VARIABLES), and every URL setting that may carry
 * a password (URLS_WITH_CREDENTIALS), at the top of a line and one level down
 * (a config object logged whole).
 */
export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers["proxy-authorization"]', 'req.headers.cookie',
  'headers.authorization', 'headers["proxy-authorization"]', 'headers.cookie',
  'authorization', 'password', 'passphrase', 'token',
  '*.authorization', '*.password', '*.passphrase', '*.token',
  ...SECRET_VARIABLES, ...SECRET_VARIABLES.map((name) => `*.${name}`),
  ...URLS_WITH_CREDENTIALS, ...URLS_WITH_CREDENTIALS.map((name) => `*.${name}`),
  'body', '*.body'
]

/**
 * Standard output, written synchronously as Node itself writes to a pipe or a
 * file, but once per turn of the event loop: the lines logged in one turn
 * (under load, one access line per request finished in it) go out in one
 * write, not one system call each. A line waits at most for the rest of its
 * turn, and whatever is pending is written before the process exits.
 *
 * Not pino's own destination: its default is asynchronous and flushes what is
 * queued when the process exits, and that flush (sonic-boom's flushSync)
 * retries every error but EAGAIN forever: with stdout a closed pipe (`demo |
 * head`, a dead pino-pretty) it spun on EPIPE inside process.exit, so SIGINT
 * and SIGTERM never ended the process and a second Ctrl-C could not run.
 * Here EPIPE, or any error but EAGAIN, turns logging off: nothing is retried,
 * nothing is left to flush at exit. EAGAIN (a non-blocking pipe that is full)
 * waits and writes again, as a blocking write would.
 */
export class StdoutLines implements DestinationStream {
  readonly #fd: number
  #pending = ''
  #scheduled = false
  #broken = false
  readonly #flushSoon = (): void => {
    this.#scheduled = false
    this.flushSync()
  }

  constructor (fd = 1) {
    this.#fd = fd
    process.once('exit', () => { this.flushSync() })
  }

  write (line: string): void {
    if (this.#broken) return
    this.#pending += line
    if (this.#pending.length >= MAX_PENDING) this.flushSync()
    else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(this.#flushSoon)
    }
  }

  /** Writes what is pending now. */
  flushSync (): void {
    if (this.#pending === '' || this.#broken) return
    const bytes = Buffer.from(this.#pending, 'utf8')
    this.#pending = ''
    let offset = 0
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.#fd, bytes, offset)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
          this.#broken = true
          return
        }
        Atomics.wait(PAUSE, 0, 0, 10)
      }
    }
  }

  /** For pino's logger.flush(). */
  flush (cb?: (err?: Error) => void): void {
    this.flushSync()
    cb?.()
  }
}

/** Lines pending past this many characters are written at once, not at the end of the turn. */
const MAX_PENDING = 64 * 1024
const PAUSE = new Int32Array(new SharedArrayBuffer(4))

export function stdoutDestination (): DestinationStream {
  return new StdoutLines(1)
}

/**
 * pino's isoTime, formatted once per millisecond: under load many lines share
 * one, and formatting a Date is the dearest part of writing an access line.
 */
let lastMs = -1
let lastTime = ''
function isoTime (): string {
  const ms = Date.now()
  if (ms !== lastMs) {
    lastMs = ms
    lastTime = `,"time":"${new Date(ms).toISOString()}"`
  }
  return lastTime
}

export function createLogger (level: string, destination: DestinationStream = stdoutDestination()): Logger {
  return pino({
    level,
    base: { name: 'trulioo-mtls-sidecar' },
    timestamp: isoTime,
    // "level":"info", as log shippers and dashboards expect, not pino's 30
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // method and url only, as Fastify's own logger does: never headers
      req: (req: { method?: string, url?: string }) => ({ method: req.method, url: req.url?.split('?', 1)[0] }),
      err: pino.stdSerializers.err
    }
  }, destination)
}
