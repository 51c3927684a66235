import t from 'tap'
import { MemoryJournalStore } from '../../src/journal/memory-store.js'
import { FakeClock } from '../helpers/fake-clock.js'

const answer = (size: number) => ({ kind: 'answered' as const, answer: { status: 200, headers: {}, body: Buffer.alloc(size) } })

t.test('past IDEMPOTENCY_MAX_BYTES the oldest finished entries go first, an entry in flight never', async (t) => {
  const clock = new FakeClock()
  const evicted: number[] = []
  const store = new MemoryJournalStore({ clock, ttlMs: 60_000, maxBytes: 5_000, onEvict: (n) => evicted.push(n) })
  const running = store.claim('running', 'f', 'r0').entry
  for (const name of ['a', 'b', 'c']) {
    const { entry, won } = store.claim(name, 'f', name)
    t.ok(won)
    store.finish(name, entry, answer(1_000))
  }
  t.equal(evicted.length, 0)
  const d = store.claim('d', 'f', 'd').entry
  store.finish('d', d, answer(1_000))
  t.same(evicted, [1], 'one dropped')
  t.ok(store.claim('a', 'f', 'x').won, 'the oldest, a, was dropped (a new claim wins)')
  t.notOk(store.claim('b', 'f', 'x').won, 'b is kept')
  t.notOk(store.claim('running', 'f', 'x').won, 'the entry in flight stays')
  t.equal(running.outcome, undefined)
  t.ok(store.bytes <= 5_000)
})

t.test('an answer larger than the whole store is kept as too large, not as nothing', async (t) => {
  const store = new MemoryJournalStore({ clock: new FakeClock(), ttlMs: 60_000, maxBytes: 2_000 })
  const { entry } = store.claim('k', 'f', 'r')
  store.finish('k', entry, answer(10_000))
  t.same(entry.outcome, { kind: 'too-large' })
  t.notOk(store.claim('k', 'f', 'r2').won)
})

t.test('entries expire after the TTL, read from the clock', async (t) => {
  const clock = new FakeClock()
  const store = new MemoryJournalStore({ clock, ttlMs: 1_000, maxBytes: 1e6 })
  const { entry } = store.claim('k', 'f', 'r')
  await clock.advance(5_000)
  t.notOk(store.claim('k', 'f', 'r2').won, 'in flight: no TTL runs yet')
  store.finish('k', entry, answer(10))
  await clock.advance(999)
  t.notOk(store.claim('k', 'f', 'r2').won)
  await clock.advance(1)
  t.ok(store.claim('k', 'f', 'r2').won, 'expired')
  t.equal(store.bytes, 0)
})

t.test('waiters are woken by finish or release, or time out', async (t) => {
  const clock = new FakeClock()
  const store = new MemoryJournalStore({ clock, ttlMs: 1_000, maxBytes: 1e6 })
  const { entry } = store.claim('k', 'f', 'r')
  const woken = store.whenSettled(entry, 500)
  const late = store.whenSettled(entry, 100)
  await clock.advance(100)
  t.equal(await late, false)
  store.release('k', entry)
  t.equal(await woken, true)
  t.ok(store.claim('k', 'f', 'r2').won, 'released: the key is free')
})
