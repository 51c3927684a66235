import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

t.test('hello through the sidecar', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const res = await call(client(t), `${url}/connection/v1/testauthentication`)
  t.equal(res.status, 200)
  t.equal(res.json(), 'Hello demo-user')
})
