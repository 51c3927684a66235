import t from 'tap'
import { client, startMock, startProxy } from '../helpers/harness.js'
import { post } from '../helpers/journal.js'

t.test('50 concurrent duplicates run the upstream exactly once', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const http = client(t)
  const answers = await Promise.all(Array.from({ length: 50 }, async () => await post(http, `${url}/__mock/slow/300`, 'burst-1')))
  t.same(new Set(answers.map((a) => a.status)), new Set([200]))
  t.equal(answers.filter((a) => a.headers['idempotent-replayed'] === 'true').length, 49)
  t.equal(new Set(answers.map((a) => a.text)).size, 1, 'one answer')
  t.equal(new Set(answers.map((a) => a.headers['x-request-id'])).size, 50, 'each its own request id')
  t.equal(mock.requests.length, 1)
})
