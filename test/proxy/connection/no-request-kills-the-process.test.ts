import { readdirSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { baseEnv, client, call, startMock, waitFor } from '../../helpers/harness.js'
import { socketClient, socketDir } from '../../helpers/socket-dir.js'
import { portOf, spawnSidecar, type Spawned } from '../../helpers/spawn-sidecar.js'

// Issue 16, item 1: any local process can write anything to the proxy
// listener and end the connection any way it likes; the sidecar survives
// every combination, leaks no descriptor, logs no unhandled error, and a
// request in flight on another connection still gets its answer.
// Each kind of head × each way a client ends a connection × TCP and UNIX socket.

const CLIENT_HELLO = Buffer.from('16030100a5010000a10303' + '00'.repeat(32) + '000002c02f0100', 'hex')
const HEADS: Record<string, string | Buffer> = {
  'CONNECT': 'CONNECT mtls.primary.prod.trulioo.com:443 HTTP/1.1\r\nHost: mtls.primary.prod.trulioo.com:443\r\n\r\n',
  'CONNECT with tunnel bytes': Buffer.concat([Buffer.from('CONNECT mtls.primary.prod.trulioo.com:443 HTTP/1.1\r\nHost: x:443\r\n\r\n'), CLIENT_HELLO]),
  'TRACE': 'TRACE /x HTTP/1.1\r\nHost: x\r\n\r\n',
  'OPTIONS *': 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
  'no Host': 'GET /__mock/echo HTTP/1.1\r\n\r\n',
  'Expect: foo': 'POST /__mock/echo HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Length: 2\r\n\r\nhi',
  'WebSocket upgrade': 'GET /__mock/echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  'HTTP/2 preface': 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00',
  'garbage': '\x00\x01\x02 not http at all \xff\xfe\r\n\r\n',
  'TLS ClientHello': CLIENT_HELLO,
  'broken chunked framing': 'POST /__mock/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n',
  'absurd Content-Length': 'POST /__mock/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n',
  'oversized header': `GET /__mock/echo HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`,
  'normal GET': 'GET /__mock/echo HTTP/1.1\r\nHost: x\r\n\r\n',
  'half a POST body': 'POST /__mock/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(70_000),
  'GET to a hanging upstream': 'GET /__mock/hang HTTP/1.1\r\nHost: x\r\n\r\n'
}

type Ending = (socket: net.Socket, ended: () => void) => void
// a UNIX socket has no reset: its abortive close is destroy() with data unread
const rst = (socket: net.Socket): void => {
  if (socket.destroyed) return
  if (socket.remotePort === undefined) socket.destroy()
  else socket.resetAndDestroy()
}
const ENDINGS: Record<string, Ending> = {
  // write, then close both ways at once
  'FIN': (socket) => { socket.end(); socket.destroy() },
  'RST at once': (socket) => { rst(socket) },
  'RST after 50 ms': (socket) => { setTimeout(() => { rst(socket) }, 50) },
  // for heads that get no answer within the bound, a reset at the bound
  'RST after the first byte of the answer': (socket) => {
    const bound = setTimeout(() => { rst(socket) }, 1_500)
    socket.once('data', () => { clearTimeout(bound); rst(socket) })
  },
  // the client stops writing and reads until the sidecar closes
  'half-close': (socket) => { socket.end() }
}

interface Target { name: string, connect: () => net.Socket, run: Spawned, http: () => Promise<number> }

function fdCount (pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/** One connection: write `head`, end it the `ending` way, resolve once it is closed (bounded). */
function oneCase (target: Target, head: string | Buffer, ending: Ending): Promise<void> {
  return new Promise((resolve) => {
    const socket = target.connect()
    const finish = (): void => { clearTimeout(bound); resolve() }
    // what the sidecar does after the client's part is its own business; the run is bounded
    const bound = setTimeout(() => { socket.destroy(); resolve() }, 6_000)
    socket.on('error', () => {})
    socket.on('data', () => {})
    socket.once('close', finish)
    socket.once('connect', () => {
      socket.write(head, () => {})
      ending(socket, finish)
    })
  })
}

t.test('no request head × no way of ending a connection kills the process, over TCP and over LISTEN_SOCKET', async (t) => {
  const mock = await startMock(t)
  const env = {
    ...await baseEnv(mock),
    LOG_LEVEL: 'info',
    UPSTREAM_TIMEOUT_MS: '2000',
    CLIENT_BODY_TIMEOUT_MS: '2000',
    UPSTREAM_CONNECTIONS: '8'
  }
  const tcp = spawnSidecar(t, ['serve'], env)
  const port = portOf(await tcp.waitForLine(/proxy listening on/))
  const path = join(socketDir(t), 'proxy.sock')
  const unix = spawnSidecar(t, ['serve'], { ...env, LISTEN_SOCKET: path })
  await unix.waitForLine(/proxy listening on/)

  const tcpClient = client(t)
  const unixClient = socketClient(t, path)
  const targets: Target[] = [
    { name: 'TCP', connect: () => net.connect(port, '127.0.0.1'), run: tcp, http: async () => (await call(tcpClient, `http://127.0.0.1:${port}/__mock/slow/1500`)).status },
    { name: 'UNIX socket', connect: () => net.connect(path), run: unix, http: async () => (await call(unixClient, 'http://localhost/__mock/slow/1500')).status }
  ]

  for (const target of targets) {
    const pid = target.run.child.pid as number
    // warm: one answered request, so the upstream pool exists before the count
    t.equal(await target.http(), 200, `${target.name}: answers before the sweep`)
    const fdsBefore = fdCount(pid)
    for (const [endingName, ending] of Object.entries(ENDINGS)) {
      // a request in flight on another connection while every head of this round arrives
      const inFlight = target.http()
      await Promise.all(Object.values(HEADS).map((head) => oneCase(target, head, ending)))
      t.equal(await inFlight, 200, `${target.name}, ${endingName}: the request in flight on another connection got its answer`)
      t.equal(target.run.child.exitCode, null, `${target.name}, ${endingName}: the process is alive`)
      t.equal(target.run.child.signalCode, null, `${target.name}, ${endingName}: and was not killed by a signal`)
    }
    t.equal(await target.http(), 200, `${target.name}: still answers after the sweep`)
    // every inbound socket of the sweep is closed: what may remain is the upstream pool
    const slack = Number(env.UPSTREAM_CONNECTIONS) + 2
    await waitFor(() => fdCount(pid) <= fdsBefore + slack, 15_000)
    t.ok(fdCount(pid) <= fdsBefore + slack, `${target.name}: no descriptor leaked (${fdsBefore} before, ${fdCount(pid)} after, slack ${slack})`)
  }

  for (const target of targets) {
    const lines = [...target.run.stdout, ...target.run.stderr]
    // a log line may name a reset as its cause; anything else that names one is Node's crash report
    const unhandled = lines.filter((line) => /Unhandled|uncaught|ERR_UNHANDLED|ECONNRESET|EPIPE|^\s+at /.test(line) && !line.startsWith('{'))
    t.same(unhandled, [], `${target.name}: no unhandled error`)
    const errors = lines.filter((line) => /"level":("error"|"fatal"|50|60)/.test(line))
    t.same(errors, [], `${target.name}: no line at error or fatal level`)
  }
})
