import t from 'tap'
import { pki, startMock, startProxy } from '../../helpers/harness.js'
import { headersOf, rawExchange, statusOf } from '../../helpers/raw-http.js'

// A request target in absolute form must never choose where the request goes:
// the sidecar is not an open proxy. It reaches the one upstream, with its Host.
t.test('an absolute-form target is reduced to its path and goes to the configured upstream', async (t) => {
  await pki()
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const { text } = await rawExchange(url, [
    'GET http://elsewhere.invalid/__mock/echo?probe=1 HTTP/1.1',
    'Host: elsewhere.invalid',
    'Connection: close',
    '', ''
  ].join('\r\n'))
  t.equal(statusOf(text), 200, text.slice(0, 200))
  t.equal(headersOf(text)['x-sidecar-error'], undefined)
  t.equal(mock.requests.length, 1, 'the mock got it')
  const seen = mock.requests[0]
  t.equal(seen?.path, '/__mock/echo?probe=1', 'path and query kept, authority dropped')
  t.equal(seen?.headers.host, new URL(mock.url).host, 'Host is the upstream\'s, not elsewhere.invalid')
})
