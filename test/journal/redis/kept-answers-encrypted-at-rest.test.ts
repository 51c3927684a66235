import t from 'tap'
import { client, startMock, startProxy, waitFor } from '../../helpers/harness.js'
import { BODY, post, VERIFY } from '../../helpers/journal.js'
import { redisSkip, startRedis } from '../../helpers/redis-server.js'
import { sharedJournalEnv } from '../../helpers/redis-journal.js'

const KEY = 'order-4711-Qv8Lm3'

t.test('what Redis holds: the keyed hash as the name, the entry encrypted, no key and no body byte in clear', { skip: redisSkip }, async (t) => {
  const redis = await startRedis(t)
  const mock = await startMock(t)
  const { url, sidecar, logs } = await startProxy(t, mock, await sharedJournalEnv(redis.url))
  const http = client(t)
  const first = await post(http, `${url}${VERIFY}`, KEY)
  t.equal(first.status, 200)
  // a second entry that is still in flight when Redis is read
  const running = post(http, `${url}/__mock/slow/400`, `${KEY}-running`)
  await mock.whenRecorded(2)

  await redis.raw.connect()
  const all = await redis.raw.keys('*')
  t.same(all.filter((name) => !name.startsWith('trulioo-sidecar:journal:')), [], 'nothing outside the prefix')
  // which encryption key the sidecars use, as a check value that gives nothing of it away
  t.match(await redis.raw.get('trulioo-sidecar:journal:key-check'), /^[0-9a-f]{32}$/)
  const names = all.filter((name) => name !== 'trulioo-sidecar:journal:key-check')
  t.equal(names.length, 2, 'one Redis key per Idempotency-Key')
  for (const name of names) {
    t.match(name, /^trulioo-sidecar:journal:[0-9a-f]{64}$/, 'named by the keyed hash only')
    t.notMatch(name, KEY)
    t.equal(await redis.raw.type(name), 'hash')
    t.ok(await redis.raw.pttl(name) > 0, 'Redis expires it')
  }
  const stored = await Promise.all(names.map(async (name) => await redis.raw.hgetallBuffer(name)))
  t.same(stored.map((h) => Object.keys(h).sort()), [['data', 'exp', 'st', 'tok'], ['data', 'exp', 'st', 'tok']], 'four fields, nothing else')
  t.same(stored.map((h) => h.st?.toString()).sort(), ['done', 'run'])
  const held = Buffer.concat(stored.flatMap((h) => Object.values(h)))
  // every 8-byte run of what passed through, in either direction, is absent from what Redis holds
  const secrets = [first.text, BODY, KEY, first.headers['x-request-id'] as string, mock.requests[0]?.headers['x-request-id'] as string ?? '']
  let windows = 0
  for (const text of secrets.filter((s) => s.length >= 8)) {
    for (let i = 0; i + 8 <= text.length; i++) {
      windows++
      if (held.includes(Buffer.from(text.slice(i, i + 8)))) t.fail(`found in clear in Redis: ${JSON.stringify(text.slice(i, i + 8))}`)
    }
  }
  t.ok(windows > 100, `${windows} fragments looked for, none found`)
  const done = stored.find((h) => h.st?.toString() === 'done')
  t.ok((done?.data?.length ?? 0) > first.text.length, 'the answer is there, sealed')

  t.equal((await running).status, 200)
  // an entry altered in Redis does not open: the keyed request is refused, not run
  const doneName = names[stored.indexOf(done!)] as string
  const data = Buffer.from(done!.data!)
  data[data.length - 1] = (data[data.length - 1] as number) ^ 1
  await redis.raw.hset(doneName, 'data', data)
  const before = mock.requests.length
  const refused = await post(http, `${url}${VERIFY}`, KEY)
  t.equal(refused.status, 503)
  t.equal(refused.headers['x-sidecar-error'], 'IDEMPOTENCY_STORE_UNAVAILABLE')
  t.equal(mock.requests.length, before, 'nothing sent')
  t.match(sidecar.journalStore().lastError, /does not decrypt/)

  // a server that may evict keys: said at connection (an evicted in-flight marker would let a duplicate run)
  const evicts = (lines: Array<Record<string, unknown>>): boolean => lines.some((l) => /may evict entries/.test(String(l.msg)))
  t.notOk(evicts(logs.lines), 'no memory limit: no warning')
  await redis.raw.config('SET', 'maxmemory', '100mb')
  await redis.raw.config('SET', 'maxmemory-policy', 'volatile-lru')
  // a sidecar given another key could neither find nor read the entries: it refuses keyed requests
  const stranger = await startProxy(t, mock, await sharedJournalEnv(redis.url))
  t.ok(await waitFor(() => evicts(stranger.logs.lines)), 'an evicting policy is warned about')
  const elsewhere = await post(http, `${stranger.url}${VERIFY}`, `${KEY}-running`)
  t.equal(elsewhere.headers['x-sidecar-error'], 'IDEMPOTENCY_STORE_UNAVAILABLE', 'another key: refused, not run again')
  t.equal(mock.requests.length, before)
  t.match(stranger.sidecar.journalStore().lastError, /IDEMPOTENCY_ENCRYPTION_KEY is not the one the other sidecars using this store have/)
  t.equal((await post(http, `${stranger.url}${VERIFY}`, undefined)).status, 200, 'keyless requests pass')
})
