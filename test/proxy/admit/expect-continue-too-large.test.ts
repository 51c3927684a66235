import t from 'tap'
import { startMock, startProxy } from '../../helpers/harness.js'
import { headersOf, rawExchange, statusOf } from '../../helpers/raw-http.js'

// A refused upload must be refused before the client sends it: 413 straight
// away, never `100 Continue` first.
t.test('Expect: 100-continue with a too-large Content-Length gets 413 without 100 Continue', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { MAX_BODY_BYTES: '1000' })
  const { text } = await rawExchange(url, [
    'POST /verifications/v1/verify HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    'Content-Length: 5000000',
    'Expect: 100-continue',
    '', ''
  ].join('\r\n'), 3_000)
  t.notMatch(text, /100 Continue/, 'no 100 Continue')
  t.equal(statusOf(text), 413, text.slice(0, 200))
  t.equal(headersOf(text)['x-sidecar-error'], 'BODY_TOO_LARGE')
  t.equal(mock.requests.length, 0)
})

t.test('Expect: 100-continue with an acceptable body gets 100 Continue, then the upstream\'s answer', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { MAX_BODY_BYTES: '1000' })
  const { hostname, port } = new URL(url)
  const net = await import('node:net')
  const socket = net.connect(Number(port), hostname)
  t.teardown(() => socket.destroy())
  let text = ''
  socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1') })
  socket.write('POST /__mock/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n')
  await new Promise<void>((resolve) => { const check = () => /100 Continue\r\n\r\n/.test(text) ? resolve() : setTimeout(check, 10); check() })
  t.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\n/, '100 Continue before the body')
  // not end(): a half-closed socket may be dropped before the answer is written
  socket.write('0123456789')
  await new Promise((resolve) => socket.once('close', resolve))
  const final = text.slice(text.indexOf('\r\n\r\n') + 4)
  t.equal(statusOf(final), 200, JSON.stringify(text))
  t.equal(mock.requests[0]?.bodyBytes, 10)
  t.equal(mock.requests[0]?.headers.expect, undefined, 'Expect is not forwarded (undici refuses it)')
})

t.test('Expect: 100-continue without the proxy token gets 407 without 100 Continue', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { PROXY_AUTH_TOKEN: 'expect-token-1' })
  const { text } = await rawExchange(url, [
    'POST /verifications/v1/verify HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Length: 500',
    'Expect: 100-continue',
    '', ''
  ].join('\r\n'), 3_000)
  t.notMatch(text, /100 Continue/, 'no 100 Continue')
  t.equal(statusOf(text), 407, text.slice(0, 200))
  t.equal(headersOf(text)['x-sidecar-error'], 'PROXY_AUTH_REQUIRED')
  t.equal(mock.requests.length, 0)
})
