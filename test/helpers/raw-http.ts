import { once } from 'node:events'
import net from 'node:net'

export interface RawExchange {
  /** Everything the server wrote, as latin1 text. */
  text: string
  /** True when the server closed the connection (rather than the wait ending). */
  closedByServer: boolean
}

/**
 * Writes `request` as-is on a fresh TCP connection to a `http://host:port`
 * URL and collects the answer until the server closes the socket or
 * `waitMs` passes. For what an HTTP client library would never send.
 */
export async function rawExchange (url: string, request: string | Buffer, waitMs = 5_000): Promise<RawExchange> {
  const { hostname, port } = new URL(url)
  const socket = net.connect(Number(port), hostname)
  await once(socket, 'connect')
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.write(request)
  let closedByServer = false
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => { socket.destroy(); resolve() }, waitMs)
    socket.once('end', () => { closedByServer = true })
    socket.once('close', () => { clearTimeout(timer); resolve() })
    socket.once('error', () => {})
  })
  return { text: Buffer.concat(chunks).toString('latin1'), closedByServer }
}

/** Status code of the first response in a raw exchange. */
export function statusOf (text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
}

/** Lower-cased headers of the first response head found after `from`. */
export function headersOf (text: string, from = 0): Record<string, string> {
  const head = text.slice(from).split('\r\n\r\n', 1)[0] ?? ''
  const out: Record<string, string> = {}
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':')
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
  }
  return out
}

/** A loopback port nothing listens on: bound, then released. */
export async function closedPort (): Promise<number> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Writes `request` on a fresh TCP connection to a `http://host:port` URL and hands the socket back, errors ignored: the test decides when the client leaves. */
export function openWith (url: string, request: string): net.Socket {
  const { hostname, port } = new URL(url)
  const socket = net.connect(Number(port), hostname)
  socket.on('error', () => {})
  socket.write(request)
  return socket
}
