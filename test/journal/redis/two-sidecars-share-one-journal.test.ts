import t from 'tap'
import { client, pki, startMock, startProxy } from '../../helpers/harness.js'
import { post, VERIFY } from '../../helpers/journal.js'
import { redisSkip, startRedis } from '../../helpers/redis-server.js'
import { sharedJournalEnv } from '../../helpers/redis-journal.js'

const PASSWORD = 'redis-pass-Kq2wZ7'

t.test('two sidecars sharing one Redis: a retry through the other is replayed, 50 duplicates across both run once', { skip: redisSkip }, async (t) => {
  const redis = await startRedis(t, { password: PASSWORD, tcp: true })
  const mock = await startMock(t)
  const shared = await sharedJournalEnv(redis.url.replace('redis://', `redis://:${PASSWORD}@`))
  // the other one has its password from a file, and the same key file
  const passwordFile = (await pki()).write('redis-password', `${PASSWORD}\n`)
  const a = await startProxy(t, mock, shared)
  const b = await startProxy(t, mock, { ...shared, IDEMPOTENCY_STORE: redis.url, IDEMPOTENCY_STORE_PASSWORD_FILE: passwordFile })
  const http = client(t)

  const first = await post(http, `${a.url}${VERIFY}`, 'shared-1')
  t.equal(first.status, 200)
  const retry = await post(http, `${b.url}${VERIFY}`, 'shared-1')
  t.equal(retry.status, 200)
  t.equal(retry.headers['idempotent-replayed'], 'true', 'replayed by the other sidecar')
  t.equal(retry.text, first.text, 'the same answer')
  t.not(retry.headers['x-request-id'], first.headers['x-request-id'])
  t.equal(mock.requests.length, 1, 'Trulioo ran it once')

  const different = await post(http, `${b.url}${VERIFY}`, 'shared-1', { body: '{"other":true}' })
  t.equal(different.headers['x-sidecar-error'], 'IDEMPOTENCY_KEY_REUSED', 'the other sidecar knows what the key was first used for')

  const answers = await Promise.all(Array.from({ length: 50 }, async (_, i) => await post(http, `${(i % 2 === 0 ? a : b).url}/__mock/slow/300`, 'burst-shared')))
  t.same(new Set(answers.map((x) => x.status)), new Set([200]), 'all answered')
  t.equal(answers.filter((x) => x.headers['idempotent-replayed'] === 'true').length, 49, 'all but one replayed')
  t.equal(new Set(answers.map((x) => x.text)).size, 1, 'one answer')
  t.equal(mock.requests.filter((r) => r.path.startsWith('/__mock/slow')).length, 1, 'the upstream ran exactly once across both sidecars')

  for (const [name, side] of [['a', a], ['b', b]] as const) {
    const text = side.logs.lines.map((line) => JSON.stringify(line)).join('\n')
    t.notMatch(text, PASSWORD, `${name}: no Redis password in any log line`)
    t.notMatch(text, 'shared-1', `${name}: no key in any log line`)
    t.notMatch(text, 'burst-shared', `${name}: no key in any log line`)
    t.notMatch(text, 'Jane-Journal-Body', `${name}: no request body in any log line`)
    t.notMatch(text, 'TransactionRecordID', `${name}: no answer body in any log line`)
    t.match(text, /idempotency store connected/, `${name} said it connected`)
  }
})
