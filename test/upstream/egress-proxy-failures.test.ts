import net from 'node:net'
import t from 'tap'
import { call, client, freePort, startMock, startProxy } from '../helpers/harness.js'
import { startConnectProxy } from '../helpers/connect-proxy.js'

// Each failure of the egress proxy is named as the proxy's, never as the
// upstream's: EGRESS_PROXY_ERROR, 502 or 504, with what the proxy said.

t.test('a proxy that is down: 502 EGRESS_PROXY_ERROR, could not be reached', async (t) => {
  const mock = await startMock(t)
  const port = await freePort()
  const { url } = await startProxy(t, mock, { HTTPS_PROXY: `http://127.0.0.1:${port}` })
  const res = await call(client(t), `${url}/connection/v1/testauthentication`)
  t.equal(res.status, 502)
  t.equal(res.headers['x-sidecar-error'], 'EGRESS_PROXY_ERROR')
  t.match(res.json().error.message, `the egress proxy http://127.0.0.1:${port} could not be reached (ECONNREFUSED)`)
  t.equal(mock.requests.length, 0)
})

t.test('a proxy that refuses the CONNECT: 502 with its status, for 403 and for 502', async (t) => {
  const mock = await startMock(t)
  for (const status of [403, 502]) {
    const proxy = await startConnectProxy(t, { refuseWith: status })
    const { url } = await startProxy(t, mock, { HTTPS_PROXY: proxy.url })
    const res = await call(client(t), `${url}/connection/v1/testauthentication`)
    t.equal(res.status, 502, `proxy ${status}`)
    t.equal(res.headers['x-sidecar-error'], 'EGRESS_PROXY_ERROR')
    t.match(res.json().error.message, new RegExp(`refused CONNECT 127\\.0\\.0\\.1:${mock.port} with HTTP ${status} Refused By Test`))
    t.equal(proxy.connects.length, 1)
  }
  t.equal(mock.requests.length, 0, 'nothing reached the upstream')
})

t.test('a proxy that accepts the connection but never answers CONNECT: 504 within CONNECT_TIMEOUT_MS', async (t) => {
  const mock = await startMock(t)
  const proxy = await startConnectProxy(t, { hang: true })
  const { url } = await startProxy(t, mock, { HTTPS_PROXY: proxy.url, CONNECT_TIMEOUT_MS: '500' })
  const started = Date.now()
  const res = await call(client(t), `${url}/connection/v1/testauthentication`)
  const took = Date.now() - started
  t.equal(res.status, 504)
  t.equal(res.headers['x-sidecar-error'], 'EGRESS_PROXY_ERROR')
  t.match(res.json().error.message, /did not answer CONNECT 127\.0\.0\.1:\d+ within 500 ms \(CONNECT_TIMEOUT_MS\)/)
  t.ok(took >= 400 && took < 5_000, `cut by the timeout, not sooner, not much later (${took} ms)`)
  t.equal(proxy.connects.length, 1, 'the CONNECT had arrived')
})

t.test('a proxy that sends endless headers is cut by the bounded reader', async (t) => {
  const mock = await startMock(t)
  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    socket.write('HTTP/1.1 200 OK\r\n')
    const junk = `X-Junk: ${'a'.repeat(1000)}\r\n`
    const timer = setInterval(() => { if (!socket.destroyed) socket.write(junk) }, 1)
    socket.once('close', () => clearInterval(timer))
  }).listen(0, '127.0.0.1')
  t.teardown(() => { server.close() })
  await new Promise((resolve) => server.once('listening', resolve))
  const { url } = await startProxy(t, mock, { HTTPS_PROXY: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` })
  const res = await call(client(t), `${url}/connection/v1/testauthentication`)
  t.equal(res.status, 502)
  t.match(res.json().error.message, /sent more than 16384 bytes without ending its answer to CONNECT/)
})
