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

export function createLogger (level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { name: 'trulioo-mtls-sidecar' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // method and url only, as Fastify's own logger does: never headers
      req: (req: { method?: string, url?: string }) => ({ method: req.method, url: req.url?.split('?', 1)[0] }),
      err: pino.stdSerializers.err
    }
  }, destination)
}
