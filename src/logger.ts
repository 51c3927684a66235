import pino, { type DestinationStream, type Logger } from 'pino'

/**
 * Paths that must never reach a log line, whatever object is logged by
 * mistake. The proxy logs no headers and no bodies in the first place; this
 * is the second line of defence.
 */
export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers["proxy-authorization"]', 'req.headers.cookie',
  'headers.authorization', 'headers["proxy-authorization"]', 'headers.cookie',
  'authorization', 'password', 'passphrase', 'token',
  'TRULIOO_USERNAME', 'TRULIOO_PASSWORD', 'TLS_PASSPHRASE', 'PROXY_AUTH_TOKEN',
  '*.authorization', '*.password', '*.passphrase', '*.token',
  '*.TRULIOO_PASSWORD', '*.TLS_PASSPHRASE', '*.PROXY_AUTH_TOKEN', 'body', '*.body'
]

/**
 * Standard output, written synchronously, as Node itself writes to a pipe or
 * a file. pino's default is asynchronous and flushes what is queued when the
 * process exits, and that flush (sonic-boom's flushSync) retries every error
 * but EAGAIN forever: with stdout a closed pipe (`demo | head`, a dead
 * pino-pretty) it spun on EPIPE inside process.exit, so SIGINT and SIGTERM
 * never ended the process and a second Ctrl-C could not run. Written
 * synchronously, EPIPE surfaces at the write itself, and pino's own handler
 * then turns logging off; nothing is left to flush at exit.
 */
export function stdoutDestination (): DestinationStream {
  return pino.destination({ dest: 1, sync: true })
}

export function createLogger (level: string, destination: DestinationStream = stdoutDestination()): Logger {
  return pino({
    level,
    base: { name: 'trulioo-mtls-sidecar' },
    timestamp: pino.stdTimeFunctions.isoTime,
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
