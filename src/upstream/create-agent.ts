import { Agent } from 'undici'
import { upstreamServername } from '../config/load-config.js'
import type { Config } from '../config/schema.js'
import type { SecureContext } from 'node:tls'
import type { Egress } from './connect-tunnel.js'
import { createTlsConnector, type SocketFates } from './tls-connector.js'

/** The client side of the TLS session: the identity's context, built once when it was loaded. */
export interface ClientTls {
  readonly secureContext: SecureContext
}

/**
 * The undici Agent that holds one client identity. Every TLS option is
 * explicit: reply-from's own defaults would turn verification off. A new
 * Agent is made for each identity, because undici caches TLS sessions by
 * server name and an old Agent could resume a session of the old certificate.
 * With `egress`, every connection runs through a CONNECT tunnel.
 */
export function createUpstreamAgent (config: Config, tls: ClientTls, fates: SocketFates, egress?: Egress): Agent {
  const servername = upstreamServername(config)
  return new Agent({
    connections: config.UPSTREAM_CONNECTIONS,
    pipelining: 1,
    // HTTP/1.1 only: an ALPN upgrade must not change the protocol under us.
    allowH2: false,
    headersTimeout: config.UPSTREAM_TIMEOUT_MS,
    bodyTimeout: config.UPSTREAM_BODY_TIMEOUT_MS,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
    connect: createTlsConnector({
      // built once when the identity was loaded; tls.connect would otherwise build one per socket
      secureContext: tls.secureContext,
      ...(servername === undefined ? {} : { servername }),
      rejectUnauthorized: true,
      ALPNProtocols: ['http/1.1'],
      allowH2: false,
      // with an egress proxy: CONNECT_TIMEOUT_MS for the tunnel, then again for the TLS handshake inside it
      timeout: config.CONNECT_TIMEOUT_MS
    }, fates, egress)
  })
}
