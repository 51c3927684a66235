import t from 'tap'
import { call, client, PASSWORD, startMock, startProxy, USERNAME } from '../../helpers/harness.js'

// With no NAPI credentials configured the sidecar does mTLS only: the
// application's own Authorization reaches the upstream untouched.
t.test('without configured credentials the app\'s Authorization passes through', async (t) => {
  const mock = await startMock(t)
  const { url, sidecar } = await startProxy(t, mock, { TRULIOO_USERNAME: undefined, TRULIOO_PASSWORD: undefined })
  t.equal(sidecar.store.authorization, undefined, 'no credentials loaded')

  const own = 'Basic ' + Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')
  const res = await call(client(t), `${url}/connection/v1/testauthentication`, { headers: { authorization: own } })
  t.equal(res.status, 200, 'the app\'s own credentials work')
  t.equal(mock.requests[0]?.headers.authorization, own, 'Authorization reached the mock unchanged')

  const none = await call(client(t), `${url}/connection/v1/testauthentication`)
  t.equal(none.status, 401, 'without the app\'s Authorization the upstream says 401')
  t.equal(none.headers['x-sidecar-error'], undefined, 'that 401 is the upstream\'s, not the sidecar\'s')
  t.equal(mock.requests[1]?.headers.authorization, undefined, 'nothing was injected')
})
