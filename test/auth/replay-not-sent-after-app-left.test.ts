import net from 'node:net'
import t from 'tap'
import { freePort, oauthEnv, startMock, startProxy, waitFor } from '../helpers/harness.js'

// Issue 16, item 3: the application leaves while its 401 waits for a new
// token. The replay must not be sent: nobody would read its answer, and the
// upstream would run the POST a second time for no one.
t.test('a 401 replay is never sent once the application has gone', async (t) => {
  const mock = await startMock(t)
  const { url, sidecar, logs } = await startProxy(t, mock, { ...oauthEnv(mock), AUTH_ROUTES: '/v3/=oauth2:napi.api,/=basic', ADMIN_PORT: String(await freePort()), LOG_LEVEL: 'info' })
  t.ok(await waitFor(() => sidecar.readiness.ready), 'ready with a token')
  const path = '/v3/verifications/verify'
  const on = (): number => mock.requests.filter((r) => r.path === path).length

  mock.tokens.revokeAll()
  // the refresh takes a while: the application leaves during it
  mock.tokens.delayMs = 1_000
  const { port } = new URL(url)
  const socket = net.connect(Number(port), '127.0.0.1')
  socket.on('error', () => {})
  const body = JSON.stringify({ CountryCode: 'CA' })
  socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
  // the mock records a token call once it answers: the refresh is under way, not done
  t.ok(await waitFor(() => on() === 1, 5_000), 'the first attempt reached the upstream and got its 401')
  socket.destroy()

  // the refresh ends; then either the replay goes out (the defect) or the
  // sidecar drops it and records the abandoned request
  const gone = (): boolean => logs.lines.some((l) => typeof l.msg === 'string' && l.msg.includes('closed the connection before the answer'))
  t.ok(await waitFor(() => gone() || on() > 1, 8_000), 'the refresh ended')
  t.ok(await waitFor(() => mock.tokens.calls.length === 2 && sidecar.lifecycle.inFlight === 0, 3_000), 'the refresh is done, nothing left in flight')
  t.equal(on(), 1, 'the verification ran upstream exactly once: no replay for an application that left')
  t.equal(mock.tokens.calls.filter((c) => c.status === 200).length, 2, 'the new token was still fetched (it serves the next request)')
  const lines = logs.lines.filter((l) => l.msg === 'request' && l.path === path)
  t.equal(lines.length, 1, 'one access line')
  t.equal(lines[0]?.status, 0, 'no answer reached the application')
})
