import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// `x-sidecar-error` is how an application tells the sidecar's own errors
// from Trulioo's answers: only the sidecar may set it.
t.test('an upstream x-sidecar-error header is removed; the rest of the answer passes', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const res = await call(client(t), `${url}/__mock/status/502?header=x-sidecar-error:UPSTREAM_TLS_ERROR&header=x-upstream-note:kept&header=set-cookie:a=1`)
  t.equal(res.status, 502, 'the upstream\'s status')
  t.same(res.json(), { status: 502, from: 'mock' }, 'the upstream\'s body')
  t.equal(res.headers['x-sidecar-error'], undefined, 'x-sidecar-error removed')
  t.equal(res.headers['x-upstream-note'], 'kept', 'other headers kept')
  t.equal(res.headers['set-cookie'], 'a=1', 'Set-Cookie is end-to-end and kept')
})
