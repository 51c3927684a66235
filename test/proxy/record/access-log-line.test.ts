import t from 'tap'
import { createCertificateAuthority } from '../../../src/mock/pki.js'
import { call, client, pki, startMock, startProxy } from '../../helpers/harness.js'
import { rawExchange } from '../../helpers/raw-http.js'

// One access line per request, whatever its fate, with the fields docs/operations.md
// promises, instead of Fastify's two default lines.
t.test('exactly one access line per request with method, path, status, duration, bytes and request id', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { MAX_BODY_BYTES: '4096', LOG_LEVEL: 'info' })
  const app = client(t)
  const body = 'x'.repeat(1000)
  const cases = [
    { id: 'get-1', status: 200, method: 'GET', path: '/connection/v1/testauthentication', query: '?secret=q1', bytesIn: 0 },
    { id: 'post-1', status: 200, method: 'POST', path: '/__mock/echo', query: '?q=2', body, bytesIn: body.length },
    { id: 'up-503', status: 503, method: 'GET', path: '/__mock/status/503', query: '', bytesIn: 0 },
    { id: 'too-big', status: 413, method: 'POST', path: '/__mock/echo', query: '', body: 'y'.repeat(5000), bytesIn: 0 },
    { id: 'trace', status: 405, method: 'TRACE', path: '/__mock/echo', query: '', bytesIn: 0 }
  ]
  const answers = new Map<string, { status: number, bytes: number }>()
  for (const c of cases) {
    const res = await call(app, `${url}${c.path}${c.query}`, {
      method: c.method as 'GET',
      headers: { 'x-request-id': c.id },
      ...(c.body === undefined ? {} : { body: c.body })
    })
    t.equal(res.status, c.status, c.id)
    answers.set(c.id, { status: res.status, bytes: Buffer.byteLength(res.text) })
  }

  // and a TLS failure, from a sidecar whose client certificate nobody trusts
  const p = await pki()
  const stranger = await p.issueClient({}, await createCertificateAuthority('Other CA'))
  const refused = await startProxy(t, mock, { TLS_CERT_FILE: p.write('s.pem', stranger.certPem), TLS_KEY_FILE: p.write('s.key', stranger.keyPem), LOG_LEVEL: 'info' })
  const tls = await call(app, `${refused.url}/connection/v1/testauthentication`, { headers: { 'x-request-id': 'tls-1' } })
  t.equal(tls.status, 502)

  // CONNECT never reaches Fastify's routing; it still gets its line
  await rawExchange(url, 'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX-Request-Id: connect-1\r\n\r\n')

  const access = [...logs.lines, ...refused.logs.lines].filter((line) => line.msg === 'request')
  t.equal(access.length, cases.length + 2, 'one line per request, no more')
  for (const c of [...cases, { id: 'tls-1', status: 502, method: 'GET', path: '/connection/v1/testauthentication', bytesIn: 0 }]) {
    const lines = access.filter((line) => line.requestId === c.id)
    t.equal(lines.length, 1, `${c.id}: exactly one line`)
    const line = lines[0] ?? {}
    t.equal(line.level, 'info', `${c.id}: the level by its name`)
    t.equal(line.method, c.method, `${c.id}: method`)
    t.equal(line.path, c.path, `${c.id}: path without query`)
    t.equal(line.status, c.status, `${c.id}: status`)
    t.type(line.durationMs, 'number', `${c.id}: durationMs`)
    t.equal(line.bytesIn, c.bytesIn, `${c.id}: bytesIn`)
    const answer = answers.get(c.id)
    if (answer !== undefined) t.equal(line.bytesOut, answer.bytes, `${c.id}: bytesOut`)
    else t.type(line.bytesOut, 'number', `${c.id}: bytesOut`)
    if (c.status >= 400 && c.id !== 'up-503') t.type(line.errorCode, 'string', `${c.id}: errorCode for a sidecar error`)
  }
  t.equal(access.find((line) => line.requestId === 'up-503')?.errorCode, undefined, 'an upstream 503 is no sidecar error')
  const connect = access.find((line) => line.requestId === 'connect-1')
  t.ok(connect, 'CONNECT logged with its request id')
  for (const field of ['method', 'path', 'status', 'durationMs', 'bytesIn', 'bytesOut']) t.ok(connect !== undefined && field in connect, `CONNECT line has ${field}`)
  t.notMatch(JSON.stringify(access), /secret=q1|q=2/, 'no query string logged')
  t.equal(logs.lines.filter((line) => line.msg === 'incoming request' || line.msg === 'request completed').length, 0, 'Fastify\'s default lines are off')
})
