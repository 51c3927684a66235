import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// The mock's certificate names localhost and 127.0.0.1; checked against
// another name it must be refused, whatever CA signed it.
t.test('an upstream certificate that does not match its name is refused with 502 UPSTREAM_TLS_ERROR', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { TLS_SERVERNAME: 'wrong.example' })
  const res = await call(client(t), `${url}/connection/v1/testauthentication`)
  t.equal(res.status, 502)
  t.equal(res.headers['x-sidecar-error'], 'UPSTREAM_TLS_ERROR')
  const message = res.json().error.message as string
  t.match(message, /name mismatch/)
  t.match(message, /wrong\.example/, 'names the name it checked')
  t.equal(mock.requests.length, 0, 'the request never reached the mock')
  const lines = logs.raw.filter((line) => line.includes(String(res.headers['x-request-id'])))
  t.equal(lines.length, 2, 'one warn line with the cause, one access line')
  t.ok(lines.every((line) => line.length < 1_000), 'short lines: no stack, no certificate dump')
})
