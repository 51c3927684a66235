import { writeFileSync } from 'node:fs'
import t from 'tap'
import { call, client, pki, startMock, startProxy, waitFor } from '../helpers/harness.js'
import { startConnectProxy } from '../helpers/connect-proxy.js'

const PROXY_USER = 'egress-user'
const PROXY_PASSWORD = 'Egress-Pass-Tk9'
const basicOf = (pair: string): string => 'Basic ' + Buffer.from(pair).toString('base64')

t.test('credentials from the URL go in Proxy-Authorization on the CONNECT only: never upstream, never in a log line', async (t) => {
  const mock = await startMock(t)
  const proxy = await startConnectProxy(t, { credentials: `${PROXY_USER}:${PROXY_PASSWORD}` })
  const withCreds = proxy.url.replace('http://', `http://${PROXY_USER}:${PROXY_PASSWORD}@`)
  const { url, logs, sidecar } = await startProxy(t, mock, { HTTPS_PROXY: withCreds })
  const res = await call(client(t), `${url}/__mock/echo`)
  t.equal(res.status, 200)
  t.equal(proxy.connects[0]?.headers['proxy-authorization'], basicOf(`${PROXY_USER}:${PROXY_PASSWORD}`), 'sent on the CONNECT')
  const upstreamHeaders = JSON.stringify(mock.requests[0]?.headers)
  t.notOk(/proxy-authorization/i.test(upstreamHeaders), 'no Proxy-Authorization reached the upstream')
  t.notOk(upstreamHeaders.includes(PROXY_PASSWORD) || upstreamHeaders.includes(basicOf(`${PROXY_USER}:${PROXY_PASSWORD}`)))
  await sidecar.close()
  t.ok(logs.text.includes(proxy.url), 'the log names the proxy')
  for (const secret of [PROXY_PASSWORD, basicOf(`${PROXY_USER}:${PROXY_PASSWORD}`).slice(6)]) t.notOk(logs.text.includes(secret), 'no credential in any log line')
})

t.test('without credentials the proxy answers 407 and the application gets 502 EGRESS_PROXY_ERROR naming it', async (t) => {
  const mock = await startMock(t)
  const proxy = await startConnectProxy(t, { credentials: `${PROXY_USER}:${PROXY_PASSWORD}` })
  const { url } = await startProxy(t, mock, { HTTPS_PROXY: proxy.url })
  const res = await call(client(t), `${url}/connection/v1/testauthentication`)
  t.equal(res.status, 502)
  t.equal(res.headers['x-sidecar-error'], 'EGRESS_PROXY_ERROR')
  t.match(res.json().error.message, /refused CONNECT 127\.0\.0\.1:\d+ with HTTP 407.*requires credentials/)
  t.equal(mock.requests.length, 0, 'nothing reached the upstream')
})

t.test('EGRESS_PROXY_AUTH_FILE: read at start, and read again when the file changes', async (t) => {
  const p = await pki()
  const mock = await startMock(t)
  const proxy = await startConnectProxy(t, { credentials: `${PROXY_USER}:${PROXY_PASSWORD}` })
  const file = p.write('egress-auth', `${PROXY_USER}:${PROXY_PASSWORD}\n`)
  const { url, sidecar, logs } = await startProxy(t, mock, { HTTPS_PROXY: proxy.url, EGRESS_PROXY_AUTH_FILE: file })
  t.equal((await call(client(t), `${url}/connection/v1/testauthentication`)).status, 200)
  t.equal(proxy.connects[0]?.headers['proxy-authorization'], basicOf(`${PROXY_USER}:${PROXY_PASSWORD}`))

  // rotated: a reload builds a new Agent, whose first connection is a new tunnel with the new pair
  proxy.setCredentials('egress-user:Rotated-Pass-Qm3')
  writeFileSync(file, 'egress-user:Rotated-Pass-Qm3\n')
  t.ok(await waitFor(() => sidecar.store.lastReload?.ok === true), 'the change was picked up')
  t.equal((await call(client(t), `${url}/connection/v1/testauthentication`)).status, 200)
  t.equal(proxy.connects.length, 2, 'a second tunnel')
  t.equal(proxy.connects.at(-1)?.headers['proxy-authorization'], basicOf('egress-user:Rotated-Pass-Qm3'), 'the reloaded credentials are used')
  await sidecar.close()
  t.notOk(logs.text.includes('Rotated-Pass-Qm3') || logs.text.includes(PROXY_PASSWORD), 'never logged')
})
