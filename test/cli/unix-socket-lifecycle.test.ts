import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { baseEnv, call, startMock } from '../helpers/harness.js'
import { socketClient, socketDir } from '../helpers/socket-dir.js'
import { spawnSidecar } from '../helpers/spawn-sidecar.js'

t.test('serve on LISTEN_SOCKET: answers over the socket, and after SIGTERM the file is gone', async (t) => {
  const mock = await startMock(t)
  const path = join(socketDir(t), 'sidecar.sock')
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LISTEN_SOCKET: path, LOG_LEVEL: 'info' })
  t.match(await run.waitForLine(/proxy listening on/), `unix:${path}`)
  const res = await call(socketClient(t, path), 'http://sidecar/connection/v1/testauthentication')
  t.equal(res.status, 200)
  t.ok(existsSync(path))

  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0, 'a clean exit')
  t.notOk(existsSync(path), 'the socket file was removed')
})

t.test('a regular file at LISTEN_SOCKET is refused at start-up with exit 78, and left untouched', async (t) => {
  const mock = await startMock(t)
  const path = join(socketDir(t), 'important.txt')
  writeFileSync(path, 'not a socket\n')
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LISTEN_SOCKET: path })
  t.equal(await run.exited, 78)
  t.match(run.stderr.join('\n'), `LISTEN_SOCKET: ${path} is a regular file, not a socket: refusing to replace it`)
  t.equal(readFileSync(path, 'utf8'), 'not a socket\n', 'the file is untouched')
})
