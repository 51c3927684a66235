import { Readable } from 'node:stream'
import t from 'tap'
import { call, client, startMock, startProxy } from '../../helpers/harness.js'

// Bytes are counted as undici sends and receives them (no metering stream in
// the body path): chunked uploads and downloads are counted exactly.
t.test('bytesIn and bytesOut count chunked bodies exactly, both ways', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock, { LOG_LEVEL: 'info' })
  const app = client(t)
  const chunk = Buffer.alloc(10_000, 'u')
  const up = await call(app, `${url}/__mock/status/200`, {
    method: 'POST', headers: { 'x-request-id': 'up-1' }, body: Readable.from((function * () { for (let i = 0; i < 37; i++) yield chunk })())
  })
  t.equal(up.status, 200)
  t.equal(mock.requests.at(-1)?.bodyBytes, 370_000, 'the upstream got it all')
  const down = await call(app, `${url}/__mock/download/300001?chunked=1`, { headers: { 'x-request-id': 'down-1' } })
  t.equal(Buffer.byteLength(down.text, 'latin1'), 300_001)
  const line = (id: string): Record<string, unknown> | undefined => logs.lines.find((l) => l.msg === 'request' && l.requestId === id)
  t.match(line('up-1'), { bytesIn: 370_000, bytesOut: up.text.length, status: 200 })
  t.match(line('down-1'), { bytesIn: 0, bytesOut: 300_001, status: 200 })
})
