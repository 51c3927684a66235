import t from 'tap'
import { call, client, freePort, startMock, startProxy, waitFor } from '../../helpers/harness.js'
import { openWith } from '../../helpers/raw-http.js'

// Issue 18, item 1: a billable call (POST, PATCH) that reached the upstream
// whole runs there and is billed whatever the application does. When the
// application leaves before the answer, the sidecar reads the answer to its
// end instead of abandoning it, keeps the request in flight until then (a
// shutdown waits for it), and its access line says answerLost with the
// upstream's status. A GET nobody waits for is cut as before; a body not
// sent whole was never run and is aborted.

for (const method of ['POST', 'PATCH'] as const) {
  t.test(`${method}: the application leaves after sending it whole; the answer is read to its end and recorded`, async (t) => {
    const mock = await startMock(t)
    const admin = await freePort()
    const { url, sidecar, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info', ADMIN_PORT: String(admin) })
    const body = '{"CountryCode":"CA"}'
    const socket = openWith(url, `${method} /__mock/late/1000 HTTP/1.1\r\nHost: x\r\nX-Request-Id: left-1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
    t.ok(await waitFor(() => mock.requests.some((r) => r.path === '/__mock/late/1000')), 'the call reached the upstream whole')
    socket.destroy()
    t.ok(await waitFor(() => logs.lines.some((l) => typeof l.msg === 'string' && l.msg.includes('read to its end'))), 'the sidecar says it reads the answer')
    t.equal(sidecar.lifecycle.inFlight, 1, 'still in flight while its answer is on its way: a shutdown waits for it')
    t.ok(await waitFor(() => logs.lines.some((l) => l.msg === 'request' && l.requestId === 'left-1'), 5_000), 'its access line is written once the answer is in')
    const line = logs.lines.find((l) => l.msg === 'request' && l.requestId === 'left-1')
    t.equal(line?.answerLost, true, 'answerLost')
    t.equal(line?.upstreamStatus, 200, 'with the status the upstream answered')
    t.equal(line?.status, 0, 'and nothing sent to the application')
    t.equal(line?.errorCode, undefined, 'the answer came whole')
    t.equal(line?.bytesOut, 2000, 'every byte of it was read')
    t.equal(sidecar.lifecycle.inFlight, 0)
    const metrics = await call(client(t), `http://127.0.0.1:${admin}/metrics`)
    t.match(metrics.text, /^trulioo_sidecar_answers_lost_total 1$/m, 'counted in trulioo_sidecar_answers_lost_total')
  })
}

t.test('the application leaves while the answer is streaming to it: the rest is still read', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info' })
  const socket = openWith(url, 'POST /__mock/pause/600 HTTP/1.1\r\nHost: x\r\nX-Request-Id: left-4\r\nContent-Length: 2\r\n\r\n{}')
  // the head and half the body have reached the application: it leaves mid-answer
  await new Promise<void>((resolve) => socket.once('data', () => resolve()))
  socket.destroy()
  t.ok(await waitFor(() => logs.lines.some((l) => l.msg === 'request' && l.requestId === 'left-4'), 5_000))
  const line = logs.lines.find((l) => l.msg === 'request' && l.requestId === 'left-4')
  t.equal(line?.answerLost, true, 'answerLost')
  t.equal(line?.upstreamStatus, 200)
  t.equal(line?.status, 200, 'the status did reach the application')
  t.equal(line?.incomplete, true, 'but not the whole answer')
  t.equal(line?.errorCode, undefined, 'the upstream\'s answer came whole')
})

t.test('the answer of a call seen through times out: the outcome is recorded as unknown', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info', UPSTREAM_TIMEOUT_MS: '500' })
  const socket = openWith(url, 'POST /__mock/hang HTTP/1.1\r\nHost: x\r\nX-Request-Id: left-2\r\nContent-Length: 2\r\n\r\n{}')
  t.ok(await waitFor(() => mock.requests.some((r) => r.path === '/__mock/hang')))
  socket.destroy()
  t.ok(await waitFor(() => logs.lines.some((l) => l.msg === 'request' && l.requestId === 'left-2'), 5_000))
  const line = logs.lines.find((l) => l.msg === 'request' && l.requestId === 'left-2')
  t.equal(line?.answerLost, true)
  t.equal(line?.errorCode, 'UPSTREAM_TIMEOUT', 'the upstream\'s silence is the recorded outcome')
})

t.test('a GET nobody waits for is still cut, and is not an answer lost', async (t) => {
  const mock = await startMock(t)
  const { url, sidecar, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info' })
  const socket = openWith(url, 'GET /__mock/slow/300 HTTP/1.1\r\nHost: x\r\nX-Request-Id: left-3\r\n\r\n')
  t.ok(await waitFor(() => mock.requests.some((r) => r.path === '/__mock/slow/300')))
  socket.destroy()
  t.ok(await waitFor(() => logs.lines.some((l) => l.msg === 'request' && l.requestId === 'left-3'), 5_000))
  const line = logs.lines.find((l) => l.msg === 'request' && l.requestId === 'left-3')
  t.equal(line?.answerLost, undefined)
  t.equal(line?.status, 0)
  t.ok(await waitFor(() => sidecar.lifecycle.inFlight === 0))
})
