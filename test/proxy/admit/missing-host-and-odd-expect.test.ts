import t from 'tap'
import { startMock, startProxy } from '../../helpers/harness.js'
import { headersOf, rawExchange, statusOf } from '../../helpers/raw-http.js'

// Node answers these itself with a bare 400 or 417; the sidecar answers them
// in its own format, with a request id and an access line, like every other.
const cases = [
  { name: 'an HTTP/1.1 request without Host', request: 'GET /__mock/echo HTTP/1.1\r\n\r\n', status: 400, code: 'BAD_REQUEST' },
  { name: 'an Expect other than 100-continue', request: 'POST /__mock/echo HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\nhi', status: 417, code: 'EXPECTATION_FAILED' }
]
for (const c of cases) {
  t.test(`${c.name} gets ${c.status} ${c.code} in the sidecar's format, not forwarded`, async (t) => {
    const mock = await startMock(t)
    const { url, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info' })
    const { text } = await rawExchange(url, c.request)
    t.equal(statusOf(text), c.status)
    const headers = headersOf(text)
    t.equal(headers['x-sidecar-error'], c.code)
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))
    t.match(body, { error: { code: c.code, requestId: headers['x-request-id'] } })
    t.equal(logs.lines.filter((l) => l.msg === 'request' && l.requestId === headers['x-request-id'] && l.status === c.status).length, 1, 'one access line')
    t.equal(mock.requests.length, 0, 'nothing forwarded')
  })
}

t.test('HTTP/1.0 without Host and Expect: 100-continue still pass', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  t.equal(statusOf((await rawExchange(url, 'GET /__mock/echo HTTP/1.0\r\n\r\n')).text), 200)
  t.equal(statusOf((await rawExchange(url, 'POST /__mock/echo HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi')).text), 100)
})
