import t from 'tap'
import { call, client, freePort, startMock, startProxy } from '../helpers/harness.js'
import { startConnectProxy } from '../helpers/connect-proxy.js'

t.test('/status shows the egress proxy in use, without its credentials; null when calls go direct', async (t) => {
  const mock = await startMock(t)
  const proxy = await startConnectProxy(t, { credentials: 'status-user:Status-Pass-Hv2' })
  const { sidecar } = await startProxy(t, mock, {
    HTTPS_PROXY: proxy.url.replace('http://', 'http://status-user:Status-Pass-Hv2@'), ADMIN_PORT: String(await freePort())
  })
  const status = await call(client(t), `${sidecar.adminUrl as string}/status`)
  t.same(status.json().egressProxy, { url: proxy.url, from: 'HTTPS_PROXY' })
  t.notOk(status.text.includes('Status-Pass-Hv2') || status.text.includes('status-user'), 'no userinfo')

  const direct = await startProxy(t, mock, { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1', ADMIN_PORT: String(await freePort()) })
  t.equal((await call(client(t), `${direct.sidecar.adminUrl as string}/status`)).json().egressProxy, null, 'NO_PROXY excludes the upstream')
})
