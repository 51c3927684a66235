import t from 'tap'
import { startMock, startProxy } from '../../helpers/harness.js'
import { headersOf, rawExchange, statusOf } from '../../helpers/raw-http.js'

t.test('a request Node cannot parse gets the sidecar\'s own 400 with x-sidecar-error and one access line', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock)
  for (const request of ['GET host:443 HTTP/1.1\r\nHost: x\r\n\r\n', 'NOT A REQUEST\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n']) {
    const before = logs.lines.filter((l) => l.msg === 'request').length
    const res = await rawExchange(url, request)
    t.equal(statusOf(res.text), 400, JSON.stringify(request))
    const headers = headersOf(res.text)
    t.equal(headers['x-sidecar-error'], 'BAD_REQUEST')
    t.match(headers['x-request-id'], /^[0-9a-f-]{36}$/)
    t.match(res.text, /"code":"BAD_REQUEST"/)
    t.equal(logs.lines.filter((l) => l.msg === 'request').length, before + 1, 'one access line')
  }
  t.equal(mock.requests.length, 0, 'nothing reached the upstream')
})

t.test('credentials in an odd request target never reach the log', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock)
  for (const target of ['ftp://user:s3cretpw@host.example/x', 'http://user:s3cretpw@host.example/__mock/echo']) {
    const res = await rawExchange(url, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
    t.ok(statusOf(res.text) > 0, `${target} answered ${statusOf(res.text)}`)
  }
  t.ok(logs.lines.some((l) => l.msg === 'request'), 'access lines were written')
  t.notOk(logs.text.includes('s3cretpw'), 'the password in the target is not logged')
  t.notOk(mock.requests.some((r) => JSON.stringify(r).includes('s3cretpw')), 'nor sent upstream')
})
