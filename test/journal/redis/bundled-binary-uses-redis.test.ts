import t from 'tap'
import { baseEnv, client, startMock } from '../../helpers/harness.js'
import { post, VERIFY } from '../../helpers/journal.js'
import { redisSkip, startRedis } from '../../helpers/redis-server.js'
import { sharedJournalEnv } from '../../helpers/redis-journal.js'
import { portOf, spawnSidecar } from '../../helpers/spawn-sidecar.js'

// The bin runs the esbuild bundle, where ioredis is a chunk of its own loaded
// only with a shared store: it must work from there, not only from dist/.
t.test('the built binary shares its journal through Redis; a bad key file stops it with exit 78', { skip: redisSkip }, async (t) => {
  const redis = await startRedis(t)
  const mock = await startMock(t)
  const env = { ...await baseEnv(mock), ...await sharedJournalEnv(redis.url), LOG_LEVEL: 'info' }
  const run = spawnSidecar(t, ['serve'], env)
  const port = portOf(await run.waitForLine(/proxy listening on/))
  t.match(run.stdout.join('\n'), /idempotency store connected/)
  const http = client(t)
  t.equal((await post(http, `http://127.0.0.1:${port}${VERIFY}`, 'bin-1')).status, 200)
  t.equal((await post(http, `http://127.0.0.1:${port}${VERIFY}`, 'bin-1')).headers['idempotent-replayed'], 'true')
  t.equal(mock.requests.length, 1)
  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0, 'a clean stop closes the store\'s connections')

  const bad = spawnSidecar(t, ['serve'], { ...env, IDEMPOTENCY_ENCRYPTION_KEY_FILE: '', IDEMPOTENCY_ENCRYPTION_KEY: 'too-short' })
  t.equal(await bad.exited, 78)
  t.match(bad.stderr.join('\n'), /IDEMPOTENCY_ENCRYPTION_KEY: must hold 64 hex characters/)
  t.notMatch([...bad.stdout, ...bad.stderr].join('\n'), 'too-short', 'the value is never printed')
})
