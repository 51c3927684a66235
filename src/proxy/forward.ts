import httpProxy from '@fastify/http-proxy'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Dispatcher } from 'undici'
import { ALLOWED_METHODS } from './admit.js'
import { attachExchange } from './exchange.js'
import type { Failures } from './failures.js'
import { downstreamResponseHeaders, upstreamRequestHeaders } from './header-policy.js'

export interface ForwardOptions {
  /** The upstream origin, e.g. https://mtls.primary.prod.trulioo.com */
  readonly origin: URL
  /** The exchange's interceptors composed on the pool's dispatcher (proxy-app.ts), which follows identity reloads. */
  readonly dispatcher: Dispatcher
  readonly draining: () => boolean
  /** Stage 5: where every upstream failure is classified, logged once and answered. */
  readonly failures: Failures
}

/**
 * Stage 4, forward: the one @fastify/http-proxy route, every path to the one
 * upstream, through the interceptors that wrap each exchange as undici runs it
 * (metering.ts and the others proxy-app.ts composes). Stage 2's header policy
 * runs here, in reply-from's header rewrites, since reply-from owns the header
 * objects of both directions.
 */
export async function registerForward (app: FastifyInstance, options: ForwardOptions): Promise<void> {
  const { origin, failures, dispatcher } = options

  // the plugin's published types fight fastify's generics; the options are checked at runtime
  await app.register(httpProxy as unknown as FastifyPluginAsync<Record<string, unknown>>, {
    upstream: origin.origin,
    // reply-from logs every upstream failure again, with a stack, at 'warn';
    // the sidecar's own line (onError below) says it once and says which failure
    logLevel: 'error',
    undici: dispatcher as never,
    httpMethods: [...ALLOWED_METHODS],
    disableRequestLogging: true,
    // keep the query string exactly as the application sent it
    handler: (request: FastifyRequest, reply: FastifyReply, _dest: string, replyOptions: unknown) =>
      reply.from(request.url, replyOptions as Parameters<FastifyReply['from']>[1]),
    replyOptions: {
      // A Trulioo verification is billable and not idempotent: no retries at all.
      // (`maxRetriesOn503: 0` would read as 10: reply-from uses `||`.)
      retriesCount: 0,
      retryDelay: () => null,
      rewriteRequestHeaders: (request: FastifyRequest) => {
        const exchange = request.exchange
        const auth = exchange.auth
        const headers = upstreamRequestHeaders(request.headers, {
          host: origin.host,
          requestId: request.id,
          authorization: auth?.authorization,
          apiKey: auth?.apiKey,
          passThrough: auth?.passThrough ?? false
        })
        attachExchange(headers, exchange)
        return headers
      },
      rewriteHeaders: (headers: Record<string, unknown>, request: FastifyRequest | undefined) =>
        downstreamResponseHeaders(headers, request?.id ?? '', options.draining()),
      // reply-from closes the connection when the upstream answers before the
      // request body is all read. A request pipelined behind that body is read
      // before this answer is over: it must not run (RFC 9112 §9.6), its answer
      // could never be written. Said here, before the body can end.
      onResponse: (request: FastifyRequest, reply: FastifyReply, res: { stream: NodeJS.ReadableStream & { destroy: () => void } }) => {
        const exchange = request.exchange
        if (exchange.clientGone) {
          // Nobody to answer. A POST or PATCH sent whole ran upstream: its answer is
          // read to its end for the record (metering.ts), never abandoned midway.
          if (exchange.upstreamHeld) res.stream.resume()
          else res.stream.destroy()
          return
        }
        if (reply.getHeader('connection') === 'close') exchange.connection.closeAfter(exchange.seq)
        reply.send(res.stream)
      },
      onError: failures.upstream
    }
  })
}
