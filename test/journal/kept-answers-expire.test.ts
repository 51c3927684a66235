import t from 'tap'
import { client, startMock, startProxy } from '../helpers/harness.js'
import { FakeClock } from '../helpers/fake-clock.js'
import { post, VERIFY } from '../helpers/journal.js'

t.test('a kept answer is replayed until IDEMPOTENCY_TTL_S has passed, then the key runs again', async (t) => {
  const mock = await startMock(t)
  // from now: the same clock judges the client certificate's validity
  const clock = new FakeClock(Date.now())
  const { url } = await startProxy(t, mock, { IDEMPOTENCY_TTL_S: '60' }, { clock })
  const http = client(t)
  t.equal((await post(http, `${url}${VERIFY}`, 'ttl-1')).status, 200)
  await clock.advance(59_000)
  t.equal((await post(http, `${url}${VERIFY}`, 'ttl-1')).headers['idempotent-replayed'], 'true', 'within the TTL')
  await clock.advance(1_000)
  const after = await post(http, `${url}${VERIFY}`, 'ttl-1')
  t.equal(after.status, 200)
  t.equal(after.headers['idempotent-replayed'], undefined, 'expired: it ran again')
  t.equal(mock.requests.length, 2)
})
