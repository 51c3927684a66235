import t from 'tap'
import { call, client, PASSWORD, startMock, startProxy, USERNAME } from '../../helpers/harness.js'

// The application sends its own credentials and cookies; Trulioo must see only
// the sidecar's Basic auth, and nothing of the application's session.
t.test('Basic auth is injected and inbound credentials are dropped', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const res = await call(client(t), `${url}/__mock/echo`, {
    headers: {
      authorization: 'Basic YXBwOmFwcC1zZWNyZXQ=',
      'proxy-authorization': 'Bearer app-proxy-token',
      cookie: 'session=app-cookie'
    }
  })
  t.equal(res.status, 200)
  const seen = mock.requests[0]
  t.ok(seen, 'the mock saw the request')
  const expected = 'Basic ' + Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')
  t.equal(seen?.headers.authorization, expected, 'Authorization is the configured Basic credential')
  t.equal(seen?.headers['proxy-authorization'], undefined, 'Proxy-Authorization dropped')
  t.equal(seen?.headers.cookie, undefined, 'Cookie dropped')

  // and the real Trulioo route accepts it
  const hello = await call(client(t), `${url}/connection/v1/testauthentication`, { headers: { authorization: 'Basic Zm9vOmJhcg==' } })
  t.equal(hello.status, 200)
  t.equal(hello.json(), `Hello ${USERNAME}`)
})
