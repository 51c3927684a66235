import t from 'tap'
import { call, client, freePort, startMock, startProxy, waitFor } from '../../helpers/harness.js'
import { post, VERIFY } from '../../helpers/journal.js'
import { redisSkip, startRedis } from '../../helpers/redis-server.js'
import { sharedJournalEnv } from '../../helpers/redis-journal.js'

t.test('Redis stopped mid-run: keyed requests get 503 and are not sent, keyless ones pass, all is well once it is back', { skip: redisSkip }, async (t) => {
  const redis = await startRedis(t)
  const mock = await startMock(t)
  const { url, sidecar, logs } = await startProxy(t, mock, await sharedJournalEnv(redis.url, { ADMIN_PORT: String(await freePort()) }))
  const http = client(t)
  const admin = sidecar.adminUrl as string
  const status = async (): Promise<Record<string, unknown>> => JSON.parse((await call(http, `${admin}/status`)).text).idempotencyStore
  const metrics = async (): Promise<string> => (await call(http, `${admin}/metrics`)).text

  t.same(await status(), { kind: 'redis', url: redis.url, connected: true, errors: 0 })
  t.match(await metrics(), /^trulioo_sidecar_idempotency_store_up\{store="redis"\} 1$/m)
  t.equal((await post(http, `${url}${VERIFY}`, 'before')).status, 200)

  // an attempt under way when the store goes: its application still gets the answer
  const sent = mock.requests.length
  const running = post(http, `${url}/__mock/slow/800`, 'mid-run')
  await mock.whenRecorded(sent + 1)
  await redis.stop()
  t.equal((await running).status, 200, 'the answer under way reached its application')
  t.ok(await waitFor(() => !sidecar.journalStore().connected), 'the sidecar saw the store go')

  const before = mock.requests.length
  for (const key of ['before', 'mid-run', 'new-key']) {
    const refused = await post(http, `${url}${VERIFY}`, key)
    t.equal(refused.status, 503, key)
    t.equal(refused.headers['x-sidecar-error'], 'IDEMPOTENCY_STORE_UNAVAILABLE', key)
    t.match(JSON.parse(refused.text).error.message, /nothing was sent upstream/)
  }
  t.equal(mock.requests.length, before, 'no keyed request was sent')
  const keyless = await post(http, `${url}${VERIFY}`, undefined)
  t.equal(keyless.status, 200, 'a request without a key is not affected')
  t.equal(mock.requests.length, before + 1)
  const ready = await call(http, `${admin}/readyz`)
  t.equal(ready.status, 200, 'readiness does not depend on the store')
  t.match(await status(), { kind: 'redis', connected: false, errors: Number })
  t.ok(((await status()).errors as number) >= 3, 'the failed calls are counted')
  t.match(await metrics(), /^trulioo_sidecar_idempotency_store_up\{store="redis"\} 0$/m)
  t.match(await metrics(), /^trulioo_sidecar_idempotency_store_errors_total [1-9]\d*$/m)
  t.match(await metrics(), /^trulioo_sidecar_errors_total\{code="IDEMPOTENCY_STORE_UNAVAILABLE"\} 3$/m)
  t.ok(logs.lines.some((l) => /cannot be reached|connection to the idempotency store closed/.test(String(l.msg))), 'a warn line said so')

  await redis.start()
  t.ok(await waitFor(() => sidecar.journalStore().connected), 'reconnected by itself')
  t.ok(logs.lines.some((l) => l.msg === 'the idempotency store is reachable again'))
  const again = await post(http, `${url}${VERIFY}`, 'after')
  t.equal(again.status, 200)
  const replay = await post(http, `${url}${VERIFY}`, 'after')
  t.equal(replay.headers['idempotent-replayed'], 'true', 'the journal works again')
  t.match(await metrics(), /^trulioo_sidecar_idempotency_store_up\{store="redis"\} 1$/m)
})

t.test('a sidecar started while the store is down starts (keyless calls work), and connects once the store is up', { skip: redisSkip }, async (t) => {
  const redis = await startRedis(t)
  await redis.stop()
  const mock = await startMock(t)
  const { url, sidecar } = await startProxy(t, mock, await sharedJournalEnv(redis.url, { IDEMPOTENCY_STORE_TIMEOUT_MS: '300' }))
  const http = client(t)
  t.equal(sidecar.journalStore().connected, false)
  t.equal((await post(http, `${url}${VERIFY}`, 'early')).headers['x-sidecar-error'], 'IDEMPOTENCY_STORE_UNAVAILABLE')
  t.equal((await post(http, `${url}${VERIFY}`, undefined)).status, 200)
  await redis.start()
  t.ok(await waitFor(() => sidecar.journalStore().connected), 'connected once the store came up')
  t.equal((await post(http, `${url}${VERIFY}`, 'early')).status, 200)
  t.equal((await post(http, `${url}${VERIFY}`, 'early')).headers['idempotent-replayed'], 'true')
})
