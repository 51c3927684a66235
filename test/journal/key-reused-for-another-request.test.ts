import t from 'tap'
import { client, startMock, startProxy } from '../helpers/harness.js'
import { post, VERIFY } from '../helpers/journal.js'

t.test('the same key with another body, path, query or method gets 422 IDEMPOTENCY_KEY_REUSED and is not sent', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const http = client(t)
  t.equal((await post(http, `${url}${VERIFY}`, 'k-422')).status, 200)
  const others = [
    post(http, `${url}${VERIFY}`, 'k-422', { body: '{"CountryCode":"US"}' }),
    post(http, `${url}/__mock/echo`, 'k-422'),
    post(http, `${url}${VERIFY}?x=1`, 'k-422'),
    post(http, `${url}${VERIFY}`, 'k-422', { method: 'PATCH' })
  ]
  for (const answer of await Promise.all(others)) {
    t.equal(answer.status, 422)
    t.equal(answer.headers['x-sidecar-error'], 'IDEMPOTENCY_KEY_REUSED')
    t.match(answer.json().error.message, /different request/)
  }
  t.equal(mock.requests.length, 1)
})
