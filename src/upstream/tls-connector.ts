import type { TLSSocket } from 'node:tls'
import { buildConnector } from 'undici'

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
  /** A TLS alert the upstream sent (e.g. ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED). */
  alert?: NodeJS.ErrnoException
}

const KEEP_FATE_MS = 5_000

export class SocketFates {
  readonly #byLocalPort = new Map<number, SocketFate>()
  // A raw socket error (ECONNRESET, EPIPE) reaches the request without undici's
  // socket details, so it is found by the error object itself.
  readonly #byError = new WeakMap<object, SocketFate>()

  track (socket: TLSSocket): void {
    const port = socket.localPort
    if (port === undefined) return
    const fate: SocketFate = { protocol: socket.getProtocol(), securedAt: Date.now() }
    this.#byLocalPort.set(port, fate)
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (typeof err.code === 'string' && err.code.includes('_ALERT_')) fate.alert = err
      if (typeof err === 'object' && err !== null) this.#byError.set(err, fate)
    })
    // undici attaches its own 'data' listener right after this, in the same tick
    socket.once('data', () => { fate.answered = true })
    socket.once('close', () => {
      fate.closedAt = Date.now()
      setTimeout(() => {
        if (this.#byLocalPort.get(port) === fate) this.#byLocalPort.delete(port)
      }, KEEP_FATE_MS).unref()
    })
  }

  get (localPort: number | undefined): SocketFate | undefined {
    return localPort === undefined ? undefined : this.#byLocalPort.get(localPort)
  }

  /** The fate of the socket that emitted `err`, if it was one of ours. */
  forError (err: unknown): SocketFate | undefined {
    return typeof err === 'object' && err !== null ? this.#byError.get(err) : undefined
  }
}

/** undici's own connector, with each new socket's fate recorded. */
export function createTlsConnector (options: buildConnector.BuildOptions, fates: SocketFates): buildConnector.connector {
  const base = buildConnector(options)
  return (connectOptions, callback) => base(connectOptions, (err, socket) => {
    if (err !== null) return callback(err, null)
    fates.track(socket as TLSSocket)
    callback(null, socket)
  })
}
