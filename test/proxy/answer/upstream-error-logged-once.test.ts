import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

t.test('an upstream failure is logged once, with its code, and no stack trace', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { UPSTREAM_TIMEOUT_MS: '300' })
  const res = await call(client(t), `${url}/__mock/hang`, { headers: { 'x-request-id': 'hang-1' } })
  t.equal(res.status, 504)
  const mine = logs.lines.filter((l) => l.requestId === 'hang-1')
  t.same(mine.map((l) => [l.level, l.errorCode]), [['warn', 'UPSTREAM_TIMEOUT'], ['info', 'UPSTREAM_TIMEOUT']], 'one warning, then the access line')
  t.notMatch(logs.text, /"stack"/, 'no stack trace in the log')
})
