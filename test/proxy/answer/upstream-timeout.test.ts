import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

t.test('an upstream that never answers gives 504 UPSTREAM_TIMEOUT after UPSTREAM_TIMEOUT_MS', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { UPSTREAM_TIMEOUT_MS: '300' })
  const res = await call(client(t), `${url}/__mock/hang`)
  t.equal(res.status, 504)
  t.equal(res.headers['x-sidecar-error'], 'UPSTREAM_TIMEOUT')
  t.match(res.json().error.message, /timed out waiting for the upstream's response/)
  t.equal(mock.requests.length, 1, 'it reached the mock once')

  // a slow answer within the limit is fine: the timeout is not a fixed budget per se
  const ok = await call(client(t), `${url}/__mock/slow/50`)
  t.equal(ok.status, 200)
})
