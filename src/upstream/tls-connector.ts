import type { TLSSocket } from 'node:tls'
import { buildConnector } from 'undici'
import { type Clock, SYSTEM_CLOCK } from '../clock.js'
import { type Egress, openTunnel } from './connect-tunnel.js'

/**
 * What happened to one upstream socket, kept a few seconds after it closed so
 * that a request error can be told apart: over TLS 1.3 the client finishes
 * its handshake before the server has judged the client certificate, so a
 * refusal arrives after `secureConnect`, as a TLS alert or a bare close.
 */
export interface SocketFate {
  readonly protocol: string | null
  readonly securedAt: number
  closedAt?: number
  /** Whether any application data (a response) ever arrived on it. */
  answered?: boolean
  /**
   * Whether a TLS 1.3 session ticket arrived: the server sends it once it has
   * verified the client's certificate and Finished, so from then on the
   * connection was accepted (../upstream/fallback.ts).
   */
  ticketed?: boolean
  /** A TLS alert the upstream sent (e.g. ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED). */
  alert?: NodeJS.ErrnoException
}

const KEEP_FATE_MS = 5_000

export class SocketFates {
  readonly #byLocalPort = new Map<number, SocketFate>()
  // A raw socket error (ECONNRESET, EPIPE) reaches the request without undici's
  // socket details, so it is found by the error object itself.
  readonly #byError = new WeakMap<object, SocketFate>()
  readonly #clock: Clock

  constructor (clock: Clock = SYSTEM_CLOCK) {
    this.#clock = clock
  }

  track (socket: TLSSocket): void {
    const port = socket.localPort
    if (port === undefined) return
    const fate: SocketFate = { protocol: socket.getProtocol(), securedAt: this.#clock.now() }
    this.#byLocalPort.set(port, fate)
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (typeof err.code === 'string' && err.code.includes('_ALERT_')) fate.alert = err
      if (typeof err === 'object' && err !== null) this.#byError.set(err, fate)
    })
    // undici attaches its own 'data' listener right after this, in the same tick
    socket.once('data', () => { fate.answered = true })
    socket.once('session', () => { fate.ticketed = true })
    socket.once('close', () => {
      fate.closedAt = this.#clock.now()
      this.#clock.setTimeout(() => {
        if (this.#byLocalPort.get(port) === fate) this.#byLocalPort.delete(port)
      }, KEEP_FATE_MS)
    })
  }

  /** How long `fate`'s socket was open after its handshake: until it closed, or until now. */
  openFor (fate: SocketFate): number {
    return (fate.closedAt ?? this.#clock.now()) - fate.securedAt
  }

  get (localPort: number | undefined): SocketFate | undefined {
    return localPort === undefined ? undefined : this.#byLocalPort.get(localPort)
  }

  /** The fate of the socket that emitted `err`, if it was one of ours. */
  forError (err: unknown): SocketFate | undefined {
    return typeof err === 'object' && err !== null ? this.#byError.get(err) : undefined
  }
}

/**
 * undici's own connector, with each new socket's fate recorded. With an
 * egress proxy, each new socket is first a CONNECT tunnel, and undici's TLS
 * runs over it (its `httpSocket`): the same context, name, verification and
 * session cache, and the result is pooled as any other connection.
 */
export function createTlsConnector (options: buildConnector.BuildOptions, fates: SocketFates, egress?: Egress): buildConnector.connector {
  const base = buildConnector(options)
  return (connectOptions, callback) => {
    const done: buildConnector.Callback = (err, socket) => {
      if (err !== null) return callback(err, null)
      fates.track(socket as TLSSocket)
      callback(null, socket)
    }
    if (egress === undefined) return base(connectOptions, done)
    const target = { host: connectOptions.hostname.replace(/^\[|\]$/g, ''), port: connectOptions.port === '' ? 443 : Number(connectOptions.port) }
    openTunnel(egress, target, options.timeout ?? 10_000).then(
      (tunnel) => { base({ ...connectOptions, httpSocket: tunnel }, done) },
      (err: Error) => { callback(err, null) }
    )
  }
}
