import { createServer as createHttpsServer } from 'node:https'
import { createServer as createTcpServer, type Server, type Socket } from 'node:net'
import { type Teardown, pki } from './harness.js'

/**
 * Where a token endpoint stalls a call:
 * - `connect`: accepts the TCP connection and never speaks (the TLS handshake never ends);
 * - `headers`: completes TLS, reads the request, never answers;
 * - `body`: answers 200 with a valid token, one byte a second.
 */
export type Stall = 'connect' | 'headers' | 'body'
export const STALLS: readonly Stall[] = ['connect', 'headers', 'body']

export interface StallingEndpoint {
  /** A TOKEN_URL for it. */
  readonly url: string
  /** Calls that have reached the stall so far. */
  readonly stalled: number
  /** Resolves once `count` calls have reached the stall. */
  waitForStalled (count: number): Promise<void>
}

/** A loopback token endpoint that stalls each call at `stall`; closed at teardown. */
export async function startStallingTokenEndpoint (t: Teardown, stall: Stall): Promise<StallingEndpoint> {
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  let stalled = 0
  const waiters: Array<{ count: number, resolve: () => void }> = []
  const reached = (): void => {
    stalled++
    for (const w of [...waiters]) if (stalled >= w.count) { waiters.splice(waiters.indexOf(w), 1); w.resolve() }
  }
  let server: Server
  if (stall === 'connect') {
    server = createTcpServer(() => { reached() })
  } else {
    const p = await pki()
    server = createHttpsServer({ cert: p.server.certPem, key: p.server.keyPem }, (req, res) => {
      req.resume()
      req.once('end', () => {
        if (stall === 'headers') { reached(); return }
        const answer = Buffer.from(JSON.stringify({ access_token: 'dripped-token', token_type: 'Bearer', expires_in: 1800 }))
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length })
        let sent = 0
        const drip = (): void => { if (sent < answer.length && !res.destroyed) res.write(answer.subarray(sent, ++sent)) }
        drip()
        reached()
        const timer = setInterval(drip, 1000)
        timers.add(timer)
        res.once('close', () => { clearInterval(timer); timers.delete(timer) })
      })
    })
  }
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  t.teardown(async () => {
    for (const timer of timers) clearInterval(timer)
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    url: `https://127.0.0.1:${port}/connect/token`,
    get stalled () { return stalled },
    waitForStalled (count) {
      if (stalled >= count) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ count, resolve }))
    }
  }
}
