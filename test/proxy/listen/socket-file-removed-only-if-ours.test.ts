import { existsSync, lstatSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { call, startMock, startProxy } from '../../helpers/harness.js'
import { socketClient, socketDir } from '../../helpers/socket-dir.js'

// libuv unlinks the path a pipe was bound to when the server closes, whatever
// is there by then; the sidecar binds elsewhere and removes LISTEN_SOCKET only
// while it is still its own socket (same device and inode).

t.test('a second instance that took the path over keeps its socket when the first one stops', async (t) => {
  const mock = await startMock(t)
  const dir = socketDir(t)
  const path = join(dir, 'sidecar.sock')
  const first = await startProxy(t, mock, { LISTEN_SOCKET: path })
  unlinkSync(path)
  const second = await startProxy(t, mock, { LISTEN_SOCKET: path })
  const secondInode = lstatSync(path).ino

  await first.sidecar.close()
  t.ok(existsSync(path), 'the second instance\'s socket file is still there')
  t.equal(lstatSync(path).ino, secondInode, 'and it is the second instance\'s')
  const res = await call(socketClient(t, path), 'http://sidecar/connection/v1/testauthentication')
  t.equal(res.status, 200, 'and it still answers')
  t.equal(second.url, `unix:${path}`)

  await second.sidecar.close()
  t.notOk(existsSync(path), 'the second instance removes its own file')
  t.same(readdirSync(dir), [], 'and no temporary name is left in the folder')
})

t.test('a regular file put at the path while the sidecar runs is left alone at close', async (t) => {
  const mock = await startMock(t)
  const dir = socketDir(t)
  const path = join(dir, 'sidecar.sock')
  const { sidecar } = await startProxy(t, mock, { LISTEN_SOCKET: path })
  unlinkSync(path)
  writeFileSync(path, 'someone else\'s data\n')

  await sidecar.close()
  t.ok(lstatSync(path).isFile(), 'the regular file is still there')
  t.equal(readFileSync(path, 'utf8'), 'someone else\'s data\n', 'with its content')
  t.same(readdirSync(dir), ['sidecar.sock'], 'and nothing else is left in the folder')
})

t.test('the sidecar\'s own socket file is removed at close, and everything reports the configured path', async (t) => {
  const mock = await startMock(t)
  const dir = socketDir(t)
  const path = join(dir, 'sidecar.sock')
  const { sidecar, url, logs } = await startProxy(t, mock, { LISTEN_SOCKET: path })
  t.equal(url, `unix:${path}`)
  t.equal(sidecar.proxy.server.address(), path)
  t.same(readdirSync(dir), ['sidecar.sock'], 'no temporary name is left beside it')
  const listening = logs.lines.filter((l) => /listening on/.test(String(l.msg))).map((l) => l.msg)
  t.same(listening, [`proxy listening on unix:${path}`], 'the start-up line names the configured path')

  await sidecar.close()
  t.notOk(existsSync(path), 'the file is removed')
  t.same(readdirSync(dir), [])
})

t.test('a path that leaves no room for the temporary name beside it is refused, naming LISTEN_SOCKET', async (t) => {
  const mock = await startMock(t)
  const dir = socketDir(t)
  // 107 bytes in all, with a one-letter name: `.` and six random characters do not fit
  const path = join(dir, 'd'.repeat(104 - dir.length), 's')
  t.equal(Buffer.byteLength(path), 107)
  await t.rejects(startProxy(t, mock, { LISTEN_SOCKET: path }), { name: 'ConfigError', subject: 'LISTEN_SOCKET', message: /is too long: the socket is first bound as .* in the same folder/ })
})
