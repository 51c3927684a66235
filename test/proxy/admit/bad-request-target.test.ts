import t from 'tap'
import { startMock, startProxy } from '../../helpers/harness.js'
import { headersOf, rawExchange, statusOf } from '../../helpers/raw-http.js'

// Targets that are neither a path nor an absolute http(s) URL, or that climb
// out of the path, are refused by the sidecar and never forwarded.
t.test('asterisk-form, other schemes and dot segments get 400 BAD_REQUEST_TARGET', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock)
  for (const target of ['*', 'ftp://elsewhere.invalid/x', '/__mock/../__mock/echo', '/__mock/%2e%2e/echo']) {
    const method = target === '*' ? 'OPTIONS' : 'GET'
    const { text } = await rawExchange(url, `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
    t.equal(statusOf(text), 400, `${method} ${target}: ${text.split('\r\n', 1)[0]}`)
    const headers = headersOf(text)
    t.equal(headers['x-sidecar-error'], 'BAD_REQUEST_TARGET', `${target}: BAD_REQUEST_TARGET`)
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))
    t.equal(body.error.code, 'BAD_REQUEST_TARGET', `${target}: the sidecar's JSON error`)
    t.equal(body.error.requestId, headers['x-request-id'], `${target}: with the request id`)
    const lines = logs.lines.filter((line) => line.msg === 'request' && line.requestId === headers['x-request-id'])
    t.equal(lines.length, 1, `${target}: one access line`)
    t.equal(lines[0]?.status, 400, `${target}: logged as 400`)
  }
  t.equal(mock.requests.length, 0, 'nothing was forwarded')
})
