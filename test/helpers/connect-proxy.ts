import { once } from 'node:events'
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import net, { type AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Teardown } from './harness.js'

/**
 * A corporate egress proxy, as small as one can be: a Node http(s) server
 * that handles CONNECT and relays bytes. It records what it saw, so a test
 * can assert on the proxy's side of the tunnel: every CONNECT line and its
 * headers, every byte it relayed, and any plain request sent to it.
 */
export interface SeenConnect {
  readonly target: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
}

export interface ConnectProxyOptions {
  /** Answer 407 unless `Proxy-Authorization: Basic base64(user:password)` is sent. */
  credentials?: string
  /** Answer every CONNECT with this status instead of opening the tunnel. */
  refuseWith?: number
  /** Accept the connection but never answer the CONNECT. */
  hang?: boolean
  /** Serve over TLS (an https:// proxy). */
  tls?: { cert: string, key: string }
}

export interface ConnectProxy {
  readonly url: string
  readonly port: number
  readonly connects: SeenConnect[]
  /** Plain (non-CONNECT) HTTP requests: a sidecar must never send one. */
  readonly plainRequests: string[]
  /** Every byte relayed, both ways, as latin1. */
  relayed (): string
  /** TCP connections accepted. */
  readonly stats: { connections: number }
  /** From now on, only this user:password is accepted (a rotation at the proxy). */
  setCredentials (pair: string): void
  close (): Promise<void>
}

export async function startConnectProxy (t: Teardown, options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const connects: SeenConnect[] = []
  const plainRequests: string[] = []
  const relayed: Buffer[] = []
  const stats = { connections: 0 }
  const sockets = new Set<Duplex>()
  let expected = options.credentials === undefined ? undefined : 'Basic ' + Buffer.from(options.credentials).toString('base64')

  const onRequest = (req: IncomingMessage, res: http.ServerResponse): void => {
    plainRequests.push(`${req.method ?? ''} ${req.url ?? ''}`)
    res.writeHead(400).end()
  }
  const server = options.tls === undefined ? http.createServer(onRequest) : https.createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
  server.on(options.tls === undefined ? 'connection' : 'secureConnection', (socket: net.Socket) => {
    stats.connections++
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.on('tlsClientError', () => {})
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    connects.push({ target: req.url ?? '', headers: { ...req.headers } })
    client.on('error', () => {})
    if (options.hang === true) return
    if (options.refuseWith !== undefined) {
      client.end(`HTTP/1.1 ${options.refuseWith} Refused By Test\r\nContent-Length: 0\r\n\r\n`)
      return
    }
    if (expected !== undefined && req.headers['proxy-authorization'] !== expected) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const [host, port] = splitTarget(req.url ?? '')
    const upstream = net.connect({ host, port })
    sockets.add(upstream)
    upstream.once('close', () => { sockets.delete(upstream); client.destroy() })
    client.once('close', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) { relayed.push(head); upstream.write(head) }
      client.on('data', (chunk: Buffer) => { relayed.push(chunk); upstream.write(chunk) })
      upstream.on('data', (chunk: Buffer) => { relayed.push(chunk); client.write(chunk) })
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  const proxy: ConnectProxy = {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    port,
    connects,
    plainRequests,
    relayed: () => Buffer.concat(relayed).toString('latin1'),
    stats,
    setCredentials (pair) { expected = 'Basic ' + Buffer.from(pair).toString('base64') },
    async close () {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
  t.teardown(() => proxy.close())
  return proxy
}

function splitTarget (target: string): [string, number] {
  const at = target.lastIndexOf(':')
  return [target.slice(0, at).replace(/^\[|\]$/g, ''), Number(target.slice(at + 1))]
}
