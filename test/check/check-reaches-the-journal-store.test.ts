import t from 'tap'
import { runCheck } from '../../src/check/run-check.js'
import { baseEnv, startMock } from '../helpers/harness.js'
import { redisSkip, startRedis } from '../helpers/redis-server.js'
import { sharedJournalEnv } from '../helpers/redis-journal.js'

t.test('with a shared store, check reaches it last; it fails, with advice, when the store does not answer', { skip: redisSkip }, async (t) => {
  const redis = await startRedis(t, { password: 'check-pass-8Hq', tcp: true })
  const mock = await startMock(t)
  const env = { ...await baseEnv(mock), ...await sharedJournalEnv(redis.url, { IDEMPOTENCY_STORE_PASSWORD: 'check-pass-8Hq' }) }
  const report = await runCheck({ env, envFile: false })
  t.ok(report.ok, JSON.stringify(report.steps, null, 2))
  const step = report.steps.at(-1)
  t.match(step, { id: 'idempotency-store', status: 'pass', detail: new RegExp(`^${redis.url}/0 answered PING in \\d+ ms \\(Redis \\d.*no sidecar has used it lately`) })

  // a sidecar with another key has claimed in this store: check says this key would be refused
  await redis.raw.connect()
  await redis.raw.set('trulioo-sidecar:journal:key-check', '0'.repeat(32))
  const other = await runCheck({ env, envFile: false })
  t.match(other.steps.at(-1), { id: 'idempotency-store', status: 'fail', detail: /another IDEMPOTENCY_ENCRYPTION_KEY/, advice: /same key file/ })
  await redis.raw.del('trulioo-sidecar:journal:key-check')

  // a server that may evict keys under memory pressure: a pass, with the warning as advice
  t.equal(step?.advice, undefined, 'no memory limit: nothing to warn about')
  await redis.raw.config('SET', 'maxmemory', '100mb')
  await redis.raw.config('SET', 'maxmemory-policy', 'allkeys-lru')
  const evicting = await runCheck({ env, envFile: false })
  t.match(evicting.steps.at(-1), { id: 'idempotency-store', status: 'pass', advice: /maxmemory-policy allkeys-lru.*set maxmemory-policy noeviction/ })
  await redis.raw.config('SET', 'maxmemory-policy', 'noeviction')
  t.equal((await runCheck({ env, envFile: false })).steps.at(-1)?.advice, undefined, 'noeviction: no warning')

  const wrong = await runCheck({ env: { ...env, IDEMPOTENCY_STORE_PASSWORD: 'not-the-password' }, envFile: false })
  t.match(wrong.steps.at(-1), { id: 'idempotency-store', status: 'fail', detail: /WRONGPASS|invalid password|NOAUTH/i, advice: /IDEMPOTENCY_STORE_PASSWORD_FILE/ })
  t.equal(wrong.exitCode, 1)
  t.notMatch(JSON.stringify(wrong), 'not-the-password', 'the password is never shown')

  await redis.stop()
  const down = await runCheck({ env, envFile: false })
  t.match(down.steps.at(-1), { id: 'idempotency-store', status: 'fail', detail: /ECONNREFUSED/, advice: /503 IDEMPOTENCY_STORE_UNAVAILABLE/ })

  const memory = await runCheck({ env: await baseEnv(mock), envFile: false })
  t.notOk(memory.steps.some((s) => s.id === 'idempotency-store'), 'the memory store has no step')
})
