import net, { isIP } from 'node:net'
import tls, { type SecureContext } from 'node:tls'
import { describeFsError, readFileSafely } from '../config/read-file-safely.js'
import { type EgressProxy, egressProxyFor } from '../config/egress-proxy.js'
import type { Config } from '../config/schema.js'
import { ConfigError, SidecarRequestError } from '../errors.js'
import { pemCertificates, secureContextTrusting } from '../tls-trust.js'

/**
 * The CONNECT tunnel through a corporate egress proxy. The proxy is asked to
 * open a TCP stream to the upstream; the TLS session with Trulioo, client
 * certificate included, then runs end to end inside it, so the proxy sees only
 * ciphertext and the upstream is verified exactly as without a proxy. The
 * credentials go in `Proxy-Authorization` on the CONNECT and nowhere else.
 */

/** A proxy's answer to CONNECT is a status line and a few headers: more than this is not one. */
const MAX_HEAD_BYTES = 16 * 1024

export interface Egress {
  readonly proxy: EgressProxy
  /** Trust for an https:// proxy: the built-in roots plus EGRESS_PROXY_CA_FILE. */
  readonly proxyTls: SecureContext | undefined
  /** The current `Proxy-Authorization` value (credentials are reloaded), or undefined. */
  authorization (): string | undefined
}

/** Why a tunnel failed, for `check`'s advice. */
export type TunnelFailure = 'unreachable' | 'tls' | 'refused' | 'closed' | 'bad-answer' | 'timeout'

/** EGRESS_PROXY_ERROR, 502, or 504 for a proxy that does not answer in time. */
export class EgressProxyError extends SidecarRequestError {
  readonly reason: TunnelFailure
  /** The proxy's HTTP status, when it answered the CONNECT with one. */
  readonly proxyStatus: number | undefined

  constructor (reason: TunnelFailure, message: string, options: { cause?: unknown, proxyStatus?: number } = {}) {
    super('EGRESS_PROXY_ERROR', message, { cause: options.cause, ...(reason === 'timeout' ? { status: 504 } : {}) })
    this.name = 'EgressProxyError'
    this.reason = reason
    this.proxyStatus = options.proxyStatus
  }
}

export interface Target { readonly host: string, readonly port: number }

/**
 * The egress for calls to `target`, or undefined when they go direct
 * (no proxy set, or NO_PROXY names the target). Reads EGRESS_PROXY_CA_FILE.
 */
export function egressFor (config: Config, target: Target, authorization: () => string | undefined): Egress | undefined {
  const proxy = egressProxyFor(config, target.host, target.port)
  if (proxy === undefined) return undefined
  let proxyTls: SecureContext | undefined
  if (proxy.protocol === 'https:' && config.EGRESS_PROXY_CA_FILE !== undefined) {
    let pem: string
    try {
      pem = readFileSafely(config.EGRESS_PROXY_CA_FILE, { encoding: 'utf8' })
    } catch (err) {
      throw new ConfigError('EGRESS_PROXY_CA_FILE', `cannot read ${config.EGRESS_PROXY_CA_FILE}: ${describeFsError(err)}`, { code: 'FILE_UNREADABLE' })
    }
    const found = pemCertificates(pem)
    if (typeof found === 'string') {
      throw new ConfigError('EGRESS_PROXY_CA_FILE', `${config.EGRESS_PROXY_CA_FILE} holds no usable PEM certificate`, { code: 'CA_FILE_INVALID' })
    }
    proxyTls = secureContextTrusting({}, found)
  }
  return { proxy, proxyTls, authorization }
}

/** `host:port` as a CONNECT target and Host header: IPv6 in brackets. */
export function authority (target: Target): string {
  return `${isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${target.port}`
}

/**
 * Opens the TCP connection to the proxy (TLS for an https:// proxy, verified
 * against its name) and resolves once it is ready for the CONNECT.
 */
export function connectToProxy (egress: Egress, deadline: Deadline, socket?: net.Socket): Promise<net.Socket> {
  const { proxy } = egress
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException): void => {
      const code = err.code ?? 'error'
      const tlsProblem = proxy.protocol === 'https:' && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || /CERT|SIGNATURE|ISSUER/.test(code))
      reject(tlsProblem
        ? new EgressProxyError('tls', `TLS with the egress proxy ${proxy.shown} failed (${code}); if it uses a private CA, set EGRESS_PROXY_CA_FILE`, { cause: err })
        : new EgressProxyError('unreachable', `the egress proxy ${proxy.shown} could not be reached (${code})`, { cause: err }))
    }
    let conn: net.Socket
    if (proxy.protocol === 'https:') {
      conn = tls.connect({
        ...(socket === undefined ? { host: proxy.host, port: proxy.port } : { socket }),
        ...(isIP(proxy.host) === 0 ? { servername: proxy.host } : {}),
        ...(egress.proxyTls === undefined ? {} : { secureContext: egress.proxyTls }),
        rejectUnauthorized: true,
        ALPNProtocols: ['http/1.1']
      })
    } else {
      conn = socket ?? net.connect({ host: proxy.host, port: proxy.port })
    }
    const ready = proxy.protocol === 'https:' ? 'secureConnect' : 'connect'
    const onError = (err: Error): void => { deadline.cancel(); fail(err) }
    conn.once('error', onError)
    deadline.start(() => {
      conn.destroy()
      reject(new EgressProxyError('timeout', `the egress proxy ${proxy.shown} did not accept a connection within ${deadline.ms} ms (CONNECT_TIMEOUT_MS)`))
    })
    const onReady = (): void => { deadline.cancel(); conn.off('error', onError); resolve(conn) }
    // a socket handed in (by `check`) is connected already
    if (proxy.protocol === 'http:' && socket !== undefined) onReady()
    else conn.once(ready, onReady)
  })
}

/**
 * Sends `CONNECT target` on a connection to the proxy and reads its answer
 * with a bounded reader. Resolves with the same socket, now a tunnel to the
 * target, paused so that no byte is lost before TLS takes it over.
 */
export function requestTunnel (socket: net.Socket, egress: Egress, target: Target, deadline: Deadline): Promise<net.Socket> {
  const { proxy } = egress
  const where = authority(target)
  const auth = egress.authorization()
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0)
    const finish = (err: EgressProxyError | undefined): void => {
      deadline.cancel()
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('close', onClose)
      if (err === undefined) {
        resolve(socket)
        return
      }
      socket.destroy()
      reject(err)
    }
    const onError = (err: NodeJS.ErrnoException): void => {
      finish(new EgressProxyError('closed', `the egress proxy ${proxy.shown} dropped the connection before answering CONNECT (${err.code ?? 'error'})`, { cause: err }))
    }
    const onClose = (): void => {
      finish(new EgressProxyError('closed', `the egress proxy ${proxy.shown} closed the connection before answering CONNECT`))
    }
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) finish(new EgressProxyError('bad-answer', `the egress proxy ${proxy.shown} sent more than ${MAX_HEAD_BYTES} bytes without ending its answer to CONNECT`))
        return
      }
      socket.pause()
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1')
      const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine)
      if (match === null) {
        finish(new EgressProxyError('bad-answer', `the egress proxy ${proxy.shown} did not answer CONNECT with HTTP`))
        return
      }
      const status = Number(match[1])
      if (status >= 200 && status < 300) {
        // TLS speaks first, so a proxy has nothing to send before the ClientHello
        if (head.length > end + 4) {
          finish(new EgressProxyError('bad-answer', `the egress proxy ${proxy.shown} sent data after accepting CONNECT, before the TLS handshake`))
          return
        }
        finish(undefined)
        return
      }
      finish(new EgressProxyError('refused', refusal(proxy, where, status, printable(match[2] ?? ''), auth !== undefined), { proxyStatus: status }))
    }
    socket.on('data', onData)
    socket.once('error', onError)
    socket.once('close', onClose)
    deadline.start(() => {
      finish(new EgressProxyError('timeout', `the egress proxy ${proxy.shown} did not answer CONNECT ${where} within ${deadline.ms} ms (CONNECT_TIMEOUT_MS)`))
    })
    socket.write(`CONNECT ${where} HTTP/1.1\r\nHost: ${where}\r\n${auth === undefined ? '' : `Proxy-Authorization: ${auth}\r\n`}User-Agent: trulioo-mtls-sidecar\r\n\r\n`)
  })
}

/** Both steps: a tunnel to `target` through the proxy, within `timeoutMs`. */
export async function openTunnel (egress: Egress, target: Target, timeoutMs: number): Promise<net.Socket> {
  const deadline = new Deadline(timeoutMs)
  const socket = await connectToProxy(egress, deadline)
  return requestTunnel(socket, egress, target, deadline)
}

/** One time budget for the proxy part of a connection (TCP, proxy TLS, CONNECT answer). */
export class Deadline {
  readonly ms: number
  readonly #until: number
  #timer: NodeJS.Timeout | undefined

  constructor (ms: number) {
    this.ms = ms
    this.#until = Date.now() + ms
  }

  start (onTimeout: () => void): void {
    this.cancel()
    this.#timer = setTimeout(onTimeout, Math.max(0, this.#until - Date.now()))
  }

  cancel (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}

function refusal (proxy: EgressProxy, where: string, status: number, reason: string, sentCredentials: boolean): string {
  const said = `the egress proxy ${proxy.shown} refused CONNECT ${where} with HTTP ${status}${reason === '' ? '' : ` ${reason}`}`
  if (status === 407) {
    return sentCredentials
      ? `${said}: it did not accept the proxy credentials`
      : `${said}: it requires credentials (user:password in the proxy URL or EGRESS_PROXY_AUTH_FILE)`
  }
  if (status === 403) return `${said}: it does not allow CONNECT to this host and port`
  if (status >= 500) return `${said}: it could not reach the upstream or failed itself`
  return said
}

/** A proxy's reason phrase, safe for a log line and a JSON message. */
function printable (text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '').slice(0, 80)
}
