import { writeFileSync } from 'node:fs'
import t from 'tap'
import { call, client, freePort, PASSWORD, pki, startMock, startProxy, waitFor } from '../helpers/harness.js'

// Readiness is decided once: /readyz, /status, the `ready` metric and the
// admission of requests give the same answer in every state.
t.test('readyz, status, metrics and admission agree: not ready while the start-up check fails, ready once it passes, not ready while draining', async (t) => {
  const p = await pki()
  const passwordFile = p.write('one-answer-password', 'wrong-password\n')
  const mock = await startMock(t)
  const { sidecar, url, logs } = await startProxy(t, mock, {
    STARTUP_CHECK: 'true', TRULIOO_PASSWORD: undefined, TRULIOO_PASSWORD_FILE: passwordFile, ADMIN_PORT: String(await freePort())
  })
  const http = client(t)
  const admin = sidecar.adminUrl as string
  const answers = async (): Promise<{ readyz: number, status: boolean, metric: string | undefined, request: string }> => {
    const readyz = (await call(http, `${admin}/readyz`)).status
    const status = (await call(http, `${admin}/status`)).json().ready as boolean
    const metric = /^trulioo_sidecar_ready (\d)$/m.exec((await call(http, `${admin}/metrics`)).text)?.[1]
    const res = await call(http, `${url}/connection/v1/testauthentication`)
    return { readyz, status, metric, request: String(res.headers['x-sidecar-error'] ?? res.status) }
  }
  t.ok(await waitFor(() => logs.lines.some((l) => /start-up check failed/.test(String(l.msg)))), 'the check failed once')
  const before = mock.requests.length
  t.same(await answers(), { readyz: 503, status: false, metric: '0', request: 'NOT_READY' }, 'not ready, everywhere')
  t.equal(mock.requests.filter((r) => r.path === '/connection/v1/testauthentication' && mock.requests.indexOf(r) >= before && r.headers['x-request-id'] !== undefined && r.headers['user-agent'] !== 'trulioo-mtls-sidecar').length, 0, 'the refused request was not forwarded')

  writeFileSync(passwordFile, `${PASSWORD}\n`)
  t.ok(await waitFor(() => sidecar.lifecycle.startupCheckPassed === true), 'the check passes once the password is fixed')
  t.same(await answers(), { readyz: 200, status: true, metric: '1', request: '200' }, 'ready, everywhere')

  // draining has one writer, the shutdown: a request held in flight keeps the
  // admin listener up while the proxy drains; the proxy takes no new connection
  // by then, so admission is asked directly (the same object every request asks)
  const held = call(http, `${url}/__mock/slow/3000`)
  t.ok(await waitFor(() => sidecar.lifecycle.inFlight === 1), 'a request is in flight')
  const closing = sidecar.close()
  t.equal(sidecar.lifecycle.draining, true, 'close() drains at once')
  const readyz = (await call(http, `${admin}/readyz`)).status
  const status = (await call(http, `${admin}/status`)).json().ready as boolean
  const metric = /^trulioo_sidecar_ready (\d)$/m.exec((await call(http, `${admin}/metrics`)).text)?.[1]
  t.same({ readyz, status, metric, request: sidecar.readiness.refusal()?.code }, { readyz: 503, status: false, metric: '0', request: 'SHUTTING_DOWN' }, 'draining, everywhere')
  t.equal((await held).status, 200, 'the request in flight got its answer')
  await closing
})
