import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'
import { closedPort } from '../../helpers/raw-http.js'

t.test('an upstream that is down gives 502 UPSTREAM_UNREACHABLE', async (t) => {
  const mock = await startMock(t) // only for the PKI-backed environment
  const port = await closedPort()
  const { url } = await startProxy(t, mock, { UPSTREAM_URL: `https://127.0.0.1:${port}`, TLS_SERVERNAME: 'localhost' })
  const res = await call(client(t), `${url}/connection/v1/testauthentication`)
  t.equal(res.status, 502)
  t.equal(res.headers['x-sidecar-error'], 'UPSTREAM_UNREACHABLE')
  const body = res.json()
  t.equal(body.error.code, 'UPSTREAM_UNREACHABLE')
  t.match(body.error.message, /ECONNREFUSED/)
  t.equal(body.error.requestId, res.headers['x-request-id'])
})
