import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, statSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { call, startMock, startProxy } from '../../helpers/harness.js'
import { socketClient, socketDir } from '../../helpers/socket-dir.js'

/** A socket file left behind as a crashed run leaves it: its process was killed, nobody accepts on it. */
async function staleSocket (path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] })
  await once(child.stdout, 'data')
  child.kill('SIGKILL')
  await once(child, 'exit')
}

t.test('a stale socket file from a crashed run is replaced', async (t) => {
  const mock = await startMock(t)
  const path = join(socketDir(t), 'sidecar.sock')
  await staleSocket(path)
  t.ok(statSync(path).isSocket(), 'the crashed run left its socket file')

  await startProxy(t, mock, { LISTEN_SOCKET: path })
  // the stale file accepted nothing: an answer on the path means a new socket is in its place
  const res = await call(socketClient(t, path), 'http://sidecar/connection/v1/testauthentication')
  t.equal(res.status, 200)
})

t.test('a socket another process still accepts on is refused, and left alone', async (t) => {
  const mock = await startMock(t)
  const path = join(socketDir(t), 'busy.sock')
  // the sidecar's probe connects and hangs up at once: a reset here is expected
  const other = net.createServer((socket) => { socket.on('error', () => {}); socket.end('other\n') }).listen(path)
  await once(other, 'listening')
  t.teardown(() => { other.close() })

  await t.rejects(startProxy(t, mock, { LISTEN_SOCKET: path }), { name: 'ConfigError', subject: 'LISTEN_SOCKET', message: /in use/ })
  t.ok(existsSync(path), 'the other process\'s socket is still there')
  const answer = await new Promise<string>((resolve) => net.connect({ path }).on('data', (d) => resolve(d.toString())))
  t.equal(answer, 'other\n', 'and it still answers')
})
