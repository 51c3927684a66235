import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import t from 'tap'
import { call, client, pki, startMock, startProxy } from '../../helpers/harness.js'

// undici restarts its headers timer on every 1xx answer: an upstream that
// sends `102 Processing` forever must still be cut after UPSTREAM_TIMEOUT_MS.
t.test('an upstream that sends 102 Processing forever gets 504 UPSTREAM_TIMEOUT after UPSTREAM_TIMEOUT_MS', async (t) => {
  const p = await pki()
  const timers = new Set<NodeJS.Timeout>()
  let informational = 0
  const upstream = tls.createServer({ cert: p.server.certPem, key: p.server.keyPem, ca: p.ca.certPem, requestCert: true }, (socket) => {
    socket.on('error', () => {})
    socket.once('data', () => {
      const timer = setInterval(() => { informational++; socket.write('HTTP/1.1 102 Processing\r\n\r\n') }, 100)
      timers.add(timer)
      socket.once('close', () => { clearInterval(timer); timers.delete(timer) })
    })
  })
  upstream.listen(0, '127.0.0.1')
  await once(upstream, 'listening')
  t.teardown(() => { for (const timer of timers) clearInterval(timer); upstream.close() })

  const mock = await startMock(t) // for the environment only
  const { url } = await startProxy(t, mock, {
    UPSTREAM_URL: `https://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    TLS_SERVERNAME: 'localhost',
    UPSTREAM_TIMEOUT_MS: '800'
  })
  const started = Date.now()
  const res = await call(client(t), `${url}/verifications/v1/verify`, { method: 'POST', body: '{}' })
  t.equal(res.status, 504)
  t.equal(res.headers['x-sidecar-error'], 'UPSTREAM_TIMEOUT')
  t.match(res.json().error.message, /UPSTREAM_TIMEOUT_MS/)
  t.ok(informational >= 3, `the upstream kept sending 1xx (${informational})`)
  t.ok(Date.now() - started < 10_000, 'cut within a bounded time, not held forever')
})
