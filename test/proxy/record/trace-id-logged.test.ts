import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// An access line can be joined with the application's trace: a valid W3C
// traceparent gives traceId and spanId (and still passes through untouched).
t.test('a valid traceparent is logged as traceId and spanId and forwarded as sent; a malformed one is not logged', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info' })
  const app = client(t)
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  const malformed = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7'
  await call(app, `${url}/__mock/echo`, { headers: { traceparent: valid, 'x-request-id': 'trace-ok' } })
  await call(app, `${url}/__mock/echo`, { headers: { traceparent: malformed, 'x-request-id': 'trace-bad' } })
  const line = (id: string): Record<string, unknown> | undefined => logs.lines.find((l) => l.msg === 'request' && l.requestId === id)
  t.match(line('trace-ok'), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' })
  t.notOk('traceId' in (line('trace-bad') ?? {}) || 'spanId' in (line('trace-bad') ?? {}), 'nothing from a malformed traceparent')
  t.same(mock.requests.map((r) => r.headers.traceparent), [valid, malformed], 'both passed through untouched')
})
