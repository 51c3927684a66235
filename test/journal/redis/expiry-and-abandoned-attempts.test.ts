import t from 'tap'
import { attemptLeaseMs } from '../../../src/journal/open-store.js'
import { client, startMock, startProxy, waitFor } from '../../helpers/harness.js'
import { FakeClock } from '../../helpers/fake-clock.js'
import { keptAnswerExpiresAfterTtl, post, VERIFY } from '../../helpers/journal.js'
import { redisSkip, startRedis } from '../../helpers/redis-server.js'
import { sharedJournalEnv } from '../../helpers/redis-journal.js'

t.test('in Redis, a kept answer is replayed until IDEMPOTENCY_TTL_S has passed on the journal\'s clock, then the key runs again', { skip: redisSkip }, async (t) => {
  const redis = await startRedis(t)
  await keptAnswerExpiresAfterTtl(t, await sharedJournalEnv(redis.url))
  await redis.raw.connect()
  const [name] = (await redis.raw.keys('trulioo-sidecar:journal:*')).filter((key) => !key.endsWith(':key-check'))
  // the outcome is written as the answer ends: wait for it, then read its expiry
  t.ok(await waitFor(async () => await redis.raw.hget(name as string, 'st') === 'done'))
  const pttl = await redis.raw.pttl(name as string)
  t.ok(pttl > 55_000 && pttl <= 60_000, `Redis expires the key with the TTL too (${pttl} ms left)`)
})

t.test('an entry still in flight past the longest an attempt can take is an unknown outcome, never a second run', { skip: redisSkip }, async (t) => {
  const redis = await startRedis(t)
  const mock = await startMock(t)
  const shared = await sharedJournalEnv(redis.url)
  // the sidecar running the first attempt, and another one whose clock is the one that moves
  const clock = new FakeClock(Date.now())
  const running = await startProxy(t, mock, shared)
  const other = await startProxy(t, mock, { ...shared, IDEMPOTENCY_WAIT_MS: '0' }, { clock })
  const http = client(t)
  const first = post(http, `${running.url}/__mock/slow/1500`, 'lost-1')
  await mock.whenRecorded(1)
  const waiting = await post(http, `${other.url}/__mock/slow/1500`, 'lost-1')
  t.equal(waiting.headers['x-sidecar-error'], 'IDEMPOTENCY_IN_FLIGHT', 'within the lease: in flight')
  await clock.advance(attemptLeaseMs(other.sidecar.config) + 60_000)
  const answer = await post(http, `${other.url}/__mock/slow/1500`, 'lost-1')
  t.equal(answer.status, 502)
  t.equal(answer.headers['x-sidecar-error'], 'OUTCOME_UNKNOWN')
  t.match(JSON.parse(answer.text).error.message, /still in flight when the sidecar running it stopped.*use a new key/)
  t.equal(mock.requests.length, 1, 'never a second run')
  t.equal((await first).status, 200)
})
