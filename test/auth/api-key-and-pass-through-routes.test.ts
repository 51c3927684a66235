import t from 'tap'
import { call, client, startMock, startProxy } from '../helpers/harness.js'

// An api-key route gets x-trulioo-api-key from the sidecar and loses the
// application's own Authorization; a pass-through route lets the
// application's own credentials cross; a basic route drops the app's API key.
t.test('x-trulioo-api-key injected on an api-key route; the app\'s credentials cross only on pass-through', async (t) => {
  const key = 'test-api-key-Hn4q'
  const mock = await startMock(t, { apiKey: key })
  const { url } = await startProxy(t, mock, { TRULIOO_API_KEY: key, AUTH_ROUTES: '/selfserve/=api-key,/__mock/echo/raw=pass-through,/=basic' })
  const http = client(t)
  const own = { authorization: 'Bearer the-apps-own', 'x-trulioo-api-key': 'the-apps-own-key', cookie: 'session=1' }

  const res = await call(http, `${url}/selfserve/verify`, { headers: own })
  t.equal(res.status, 200, 'the gateway accepted the key')
  const seen = mock.requests.at(-1)
  t.equal(seen?.headers['x-trulioo-api-key'], key, 'the configured key, not the app\'s')
  t.equal(seen?.headers.authorization, undefined, 'the app\'s Authorization dropped')
  t.equal(seen?.headers.cookie, undefined, 'the app\'s Cookie dropped')

  await call(http, `${url}/__mock/echo/raw`, { headers: own })
  const raw = mock.requests.at(-1)
  t.equal(raw?.headers.authorization, 'Bearer the-apps-own', 'pass-through: the app\'s Authorization crosses')
  t.equal(raw?.headers['x-trulioo-api-key'], 'the-apps-own-key', 'pass-through: the app\'s API key crosses')

  await call(http, `${url}/__mock/echo/basic`, { headers: own })
  const basic = mock.requests.at(-1)
  t.match(basic?.headers.authorization, /^Basic /, 'basic route: the sidecar\'s Basic')
  t.equal(basic?.headers['x-trulioo-api-key'], undefined, 'basic route: the app\'s API key dropped')
})
