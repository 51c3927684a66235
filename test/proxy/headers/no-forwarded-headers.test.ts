import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// Nothing that names internal addresses goes to Trulioo: neither what the
// app sent nor anything the proxy stack might add.
t.test('no X-Forwarded-*, Forwarded, Via or X-Real-IP reaches the upstream', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  await call(client(t), `${url}/__mock/echo`)
  await call(client(t), `${url}/__mock/echo`, {
    headers: {
      'x-forwarded-for': '10.1.2.3',
      'x-forwarded-host': 'internal.example',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '8080',
      forwarded: 'for=10.1.2.3',
      via: '1.1 internal-proxy',
      'x-real-ip': '10.1.2.3'
    }
  })
  t.equal(mock.requests.length, 2)
  for (const seen of mock.requests) {
    const names = Object.keys(seen.headers)
    t.same(names.filter((n) => n.startsWith('x-forwarded-') || n === 'forwarded' || n === 'via' || n === 'x-real-ip'), [], `none in ${names.join(',')}`)
    t.notMatch(JSON.stringify(seen.headers), /10\.1\.2\.3|internal/, 'no internal address anywhere')
  }
})
