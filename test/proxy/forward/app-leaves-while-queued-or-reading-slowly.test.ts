import t from 'tap'
import { call, client, startMock, startProxy, waitFor } from '../../helpers/harness.js'
import { openWith } from '../../helpers/raw-http.js'

// Two ways an application leaves that must neither bill a call for nobody nor
// leave a request in flight for ever: while its request waits for an upstream
// connection (it is then never sent), and while it reads a large answer so
// slowly that the upstream side is paused (the answer of a call sent whole is
// still read to its end, and the request's line is written).

t.test('a POST still waiting for an upstream connection when the application leaves is never sent', async (t) => {
  const mock = await startMock(t)
  const { url, sidecar, logs } = await startProxy(t, mock, { UPSTREAM_CONNECTIONS: '1', UPSTREAM_QUEUE_TIMEOUT_MS: '30000', LOG_LEVEL: 'info' })
  // the only connection is busy for a while
  const busy = call(client(t), `${url}/__mock/slow/1500`)
  t.ok(await waitFor(() => mock.requests.some((r) => r.path === '/__mock/slow/1500')), 'the connection is taken')
  const socket = openWith(url, 'POST /__mock/echo/queued HTTP/1.1\r\nHost: x\r\nX-Request-Id: queued-1\r\nContent-Length: 2\r\n\r\n{}')
  t.ok(await waitFor(() => sidecar.lifecycle.inFlight === 2), 'the POST waits behind it')
  socket.destroy()
  t.ok(await waitFor(() => logs.lines.some((l) => l.msg === 'request' && l.requestId === 'queued-1')), 'its line is written')
  t.equal((await busy).status, 200, 'the connection is free again')
  // the pool's next turn would have been the POST's: give it one more request to be sure it had its chance
  t.equal((await call(client(t), `${url}/__mock/status/204`)).status, 204)
  t.notOk(mock.requests.some((r) => r.path === '/__mock/echo/queued'), 'the POST never reached the upstream')
  t.equal(sidecar.lifecycle.inFlight, 0)
})

t.test('a POST whose application stops reading a large answer and leaves: the answer is still read to its end', async (t) => {
  const mock = await startMock(t)
  const { url, sidecar, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info' })
  const socket = openWith(url, 'POST /__mock/download/8000000 HTTP/1.1\r\nHost: x\r\nX-Request-Id: slow-reader\r\nContent-Length: 2\r\n\r\n{}')
  // read the first bytes, then stop reading: the sidecar's side fills and undici pauses
  await new Promise<void>((resolve) => socket.once('data', () => { socket.pause(); resolve() }))
  t.ok(await waitFor(() => mock.requests.some((r) => r.path === '/__mock/download/8000000')))
  await new Promise((resolve) => setTimeout(resolve, 300)) // let the buffers fill (the stall being tested)
  socket.destroy()
  t.ok(await waitFor(() => logs.lines.some((l) => l.msg === 'request' && l.requestId === 'slow-reader'), 10_000), 'its line is written')
  const line = logs.lines.find((l) => l.msg === 'request' && l.requestId === 'slow-reader')
  t.equal(line?.answerLost, true, 'answerLost')
  t.equal(line?.errorCode, undefined, 'the answer was read whole')
  t.ok(await waitFor(() => sidecar.lifecycle.inFlight === 0), 'nothing left in flight')
})
