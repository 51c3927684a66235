import { randomBytes } from 'node:crypto'
import pino from 'pino'
import t from 'tap'
import { RedisJournalStore } from '../../../src/journal/redis-store.js'
import { deriveJournalKeys } from '../../../src/journal/sealed-entry.js'
import { storeLocation } from '../../../src/journal/store-location.js'
import type { Config } from '../../../src/config/schema.js'
import { FakeClock } from '../../helpers/fake-clock.js'
import { redisSkip, startRedis } from '../../helpers/redis-server.js'

const answer = { kind: 'answered' as const, answer: { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"ok":true}') } }

t.test('a claim that lost its entry (expired, claimed again) can neither finish nor release the new one', { skip: redisSkip }, async (t) => {
  const redis = await startRedis(t)
  const location = storeLocation({ IDEMPOTENCY_STORE: redis.url } as unknown as Config)
  if (location.kind !== 'redis') throw new Error('a redis location')
  const clock = new FakeClock(Date.now())
  const { entries, check } = deriveJournalKeys(randomBytes(32))
  const open = async (): Promise<RedisJournalStore> => {
    const store = new RedisJournalStore({ location, entriesKey: entries, keyCheck: check, clock, ttlMs: 10_000, leaseMs: 5_000, timeoutMs: 2_000, logger: pino({ level: 'silent' }) })
    t.teardown(() => store.close())
    t.ok(await store.connect(), 'connected')
    return store
  }
  const [a, b] = [await open(), await open()]
  const first = await a.claim('k', 'print', 'req-a')
  const firstOther = await a.claim('k2', 'print', 'req-a2')
  t.ok(first.won && firstOther.won)
  const seen = await b.claim('k', 'print', 'req-b')
  t.notOk(seen.won, 'one winner')
  t.equal(seen.entry.requestId, 'req-a')
  await b.release('k', seen.entry)
  await b.finish('k', seen.entry, answer)
  t.notOk((await b.claim('k', 'print', 'req-b')).won, 'a loser can neither release nor finish it')

  // past the lease and the TTL by the journal's clock, the entry is free and claimed again
  await clock.advance(16_000)
  const second = await b.claim('k', 'print', 'req-c')
  const secondOther = await b.claim('k2', 'print', 'req-c2')
  t.ok(second.won && secondOther.won, 'expired: claimed again')
  await a.release('k', first.entry)
  await a.finish('k2', firstOther.entry, answer)
  const now = await a.claim('k', 'print', 'req-d')
  t.notOk(now.won, 'a late release of the old claim changed nothing')
  t.equal(now.entry.requestId, 'req-c')
  t.equal(now.entry.outcome, undefined, 'still in flight')
  const other = await a.claim('k2', 'print', 'req-d2')
  t.notOk(other.won)
  t.equal(other.entry.requestId, 'req-c2')
  t.equal(other.entry.outcome, undefined, 'a late finish of the old claim changed nothing')

  // the waiter on the other store hears of the finish at once (pub/sub), not at its next poll
  const waiting = a.whenSettled(now.entry, 60_000)
  await b.finish('k', second.entry, answer)
  t.equal(await waiting, true, 'woken')
  const replay = await a.claim('k', 'print', 'req-e')
  t.match(replay.entry.outcome, { kind: 'answered', answer: { status: 200, headers: { 'content-type': 'application/json' } } })
  t.equal((replay.entry.outcome as typeof answer).answer.body.toString(), '{"ok":true}', 'the body comes back whole')
})
