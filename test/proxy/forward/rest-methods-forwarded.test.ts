import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// Every method a REST API uses reaches the one upstream, with path and query
// exactly as the application wrote them.
t.test('GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS are forwarded with path and query intact', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const target = '/__mock/echo/sub%20dir?a=1&a=2&b=%2F%3F&empty=&utf=%C3%A9'
  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
  for (const method of methods) {
    const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH'
    const res = await call(client(t), `${url}${target}`, { method, ...(withBody ? { body: `{"m":"${method}"}`, headers: { 'content-type': 'application/json' } } : {}) })
    t.equal(res.status, 200, `${method}: 200`)
    t.equal(res.headers['x-sidecar-error'], undefined, `${method}: the upstream's answer`)
    if (method === 'HEAD') t.equal(res.text, '', 'HEAD: no body')
    else t.equal(res.json().method, method, `${method}: body is the echo`)
  }
  t.same(mock.requests.map((r) => r.method), methods, 'the mock saw each method once, in order')
  for (const seen of mock.requests) t.equal(seen.path, target, `${seen.method}: path and query untouched`)
  t.same(mock.requests.filter((r) => r.bodyBytes > 0).map((r) => r.method), ['POST', 'PUT', 'PATCH'], 'bodies went where they were sent')
})
