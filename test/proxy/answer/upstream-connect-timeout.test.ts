import { once } from 'node:events'
import net from 'node:net'
import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// A peer that accepts TCP but never answers the TLS handshake: CONNECT_TIMEOUT_MS
// covers the handshake, so the app gets 504 instead of waiting forever.
t.test('an upstream that never completes the TLS handshake gives 504 UPSTREAM_TIMEOUT after CONNECT_TIMEOUT_MS', async (t) => {
  const sockets = new Set<net.Socket>()
  const silent = net.createServer((socket) => { sockets.add(socket); socket.on('error', () => {}) })
  silent.listen(0, '127.0.0.1')
  await once(silent, 'listening')
  t.teardown(() => { for (const s of sockets) s.destroy(); silent.close() })
  const mock = await startMock(t) // for the environment only
  const { url } = await startProxy(t, mock, {
    UPSTREAM_URL: `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
    TLS_SERVERNAME: 'localhost',
    CONNECT_TIMEOUT_MS: '300'
  })
  const res = await call(client(t), `${url}/connection/v1/testauthentication`)
  t.equal(res.status, 504)
  t.equal(res.headers['x-sidecar-error'], 'UPSTREAM_TIMEOUT')
  t.match(res.json().error.message, /connecting to the upstream/)
  t.ok(sockets.size >= 1, 'the sidecar did connect')
})
