import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

const TOKEN = 'proxy-token-Hq93-unique'

t.test('PROXY_AUTH_TOKEN: missing or wrong gets 407, right passes without reaching the upstream', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { PROXY_AUTH_TOKEN: TOKEN })
  const target = `${url}/__mock/echo`

  for (const [name, headers] of [
    ['missing', {}],
    ['wrong', { 'proxy-authorization': 'Bearer not-the-token' }],
    ['not Bearer', { 'proxy-authorization': `Basic ${TOKEN}` }],
    ['in Authorization instead', { authorization: `Bearer ${TOKEN}` }]
  ] as const) {
    const res = await call(client(t), target, { headers })
    t.equal(res.status, 407, `${name}: 407`)
    t.equal(res.headers['x-sidecar-error'], 'PROXY_AUTH_REQUIRED', `${name}: x-sidecar-error`)
    t.match(String(res.headers['proxy-authenticate']), /^Bearer/, `${name}: says which scheme`)
    t.notMatch(res.text, TOKEN, `${name}: the token is not in the answer`)
  }
  t.equal(mock.requests.length, 0, 'nothing reached the mock')

  const ok = await call(client(t), target, { headers: { 'proxy-authorization': `Bearer ${TOKEN}` } })
  t.equal(ok.status, 200)
  t.equal(mock.requests.length, 1)
  t.equal(mock.requests[0]?.headers['proxy-authorization'], undefined, 'Proxy-Authorization is not forwarded')
  t.notMatch(JSON.stringify(mock.requests[0]?.headers), TOKEN, 'the token appears in no upstream header')
})
