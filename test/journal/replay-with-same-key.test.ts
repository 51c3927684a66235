import t from 'tap'
import { client, startMock, startProxy } from '../helpers/harness.js'
import { accessLines, post, VERIFY } from '../helpers/journal.js'

// The first request with a key runs; a retry with the same key and the same
// request gets the kept answer, marked replayed, with its own request id, and
// never reaches the upstream.
t.test('a retry with the same key gets the kept answer and never reaches the upstream', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock)
  const http = client(t)

  const first = await post(http, `${url}${VERIFY}`, 'order-4711')
  t.equal(first.status, 200)
  t.equal(first.headers['idempotent-replayed'], undefined, 'the first answer is not a replay')
  const retry = await post(http, `${url}${VERIFY}`, 'order-4711')
  t.equal(retry.status, 200)
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(retry.text, first.text, 'the same body')
  t.equal(retry.headers['content-type'], first.headers['content-type'], 'the same headers')
  t.not(retry.headers['x-request-id'], first.headers['x-request-id'], 'its own request id')
  const quoted = await post(http, `${url}${VERIFY}`, '"order-4711"')
  t.equal(quoted.headers['idempotent-replayed'], 'true', 'the quoted form is the same key')
  t.equal(mock.requests.length, 1, 'the upstream ran once')

  const lines = accessLines(logs.lines)
  t.equal(lines.length, 3)
  const hashes = new Set(lines.map((l) => l.idempotencyKeyHash))
  t.equal(hashes.size, 1, 'one key hash on the three lines')
  t.match([...hashes][0], /^[\da-f]{12}$/)
  t.same(lines.map((l) => l.replayed), [undefined, true, true])
  t.equal(lines[1]?.requestId, retry.headers['x-request-id'])
})

t.test('without a key, or with one on another method, nothing changes', async (t) => {
  const mock = await startMock(t)
  const { url, logs } = await startProxy(t, mock)
  const http = client(t)
  const a = await post(http, `${url}${VERIFY}`, undefined)
  const b = await post(http, `${url}${VERIFY}`, undefined)
  t.same([a.status, b.status], [200, 200])
  t.equal(b.headers['idempotent-replayed'], undefined)
  const put1 = await post(http, `${url}/__mock/echo`, 'put-key', { method: 'PUT' })
  const put2 = await post(http, `${url}/__mock/echo`, 'put-key', { method: 'PUT' })
  t.same([put1.status, put2.status], [200, 200])
  t.equal(put2.headers['idempotent-replayed'], undefined, 'PUT is not journaled')
  t.equal(mock.requests.length, 4, 'every request ran')
  for (const line of accessLines(logs.lines)) {
    t.notOk('idempotencyKeyHash' in line || 'replayed' in line, 'the access line has its old shape')
  }
})
