import t from 'tap'
import { runCheck } from '../../src/check/run-check.js'
import { ADVICE } from '../../src/check/advice.js'
import { baseEnv, startMock } from '../helpers/harness.js'
import { startConnectProxy } from '../helpers/connect-proxy.js'

t.test('check through an egress proxy: DNS and TCP reach the proxy, the "egress proxy" step opens the tunnel, TLS and the calls run inside it', async (t) => {
  const mock = await startMock(t)
  const proxy = await startConnectProxy(t, { credentials: 'check-user:Check-Pass-Lp5' })
  const env = { ...await baseEnv(mock), HTTPS_PROXY: proxy.url.replace('http://', 'http://check-user:Check-Pass-Lp5@') }
  const report = await runCheck({ env, envFile: false })
  t.ok(report.ok, JSON.stringify(report.steps, null, 2))
  const byId = Object.fromEntries(report.steps.map((s) => [s.id, s]))
  t.match(byId.tcp?.detail, `connected to the egress proxy at 127.0.0.1:${proxy.port}`)
  t.equal(byId['egress-proxy']?.title, 'egress proxy')
  t.match(byId['egress-proxy']?.detail, `${proxy.url} (HTTPS_PROXY) opened a tunnel to 127.0.0.1:${mock.port} with credentials`)
  t.equal(byId['egress-proxy']?.status, 'pass')
  t.match(byId.tls?.detail, /client certificate required/)
  t.match(byId.auth?.detail, /"Hello demo-user"/)
  t.ok(proxy.connects.length >= 3, 'the TLS step, its no-certificate probe and the Agent each took a tunnel')
  t.ok(proxy.connects.every((c) => c.target === `127.0.0.1:${mock.port}`))
  t.notOk(JSON.stringify(report).includes('Check-Pass-Lp5'), 'the report holds no proxy credential')
})

t.test('check names the egress proxy step when the proxy refuses, with advice for each failure', async (t) => {
  const mock = await startMock(t)
  const rows: Array<{ name: string, options: Parameters<typeof startConnectProxy>[1], advice: string, detail: RegExp }> = [
    { name: '407 without credentials', options: { credentials: 'u:p' }, advice: ADVICE.egressAuth, detail: /HTTP 407.*requires credentials/ },
    { name: '403 not allowed', options: { refuseWith: 403 }, advice: ADVICE.egressForbidden, detail: /HTTP 403/ },
    { name: '502 from the proxy', options: { refuseWith: 502 }, advice: ADVICE.egressUpstream, detail: /HTTP 502/ },
    { name: 'a proxy that hangs', options: { hang: true }, advice: ADVICE.egressTimeout, detail: /did not answer CONNECT .* within 400 ms/ }
  ]
  for (const row of rows) {
    const proxy = await startConnectProxy(t, row.options)
    const report = await runCheck({ env: { ...await baseEnv(mock), HTTPS_PROXY: proxy.url, CONNECT_TIMEOUT_MS: '400' }, envFile: false })
    t.equal(report.ok, false, row.name)
    const step = report.steps.at(-1)
    t.equal(step?.id, 'egress-proxy', `${row.name}: the failing step is the egress proxy`)
    t.match(step?.detail, row.detail)
    t.equal(step?.advice, row.advice)
    t.same(report.notRun, ['tls', 'client-cert', 'auth', 'round-trip'])
  }
  t.equal(mock.requests.length, 0, 'nothing reached the upstream')
})
