import t from 'tap'
import { client, pki, startMock, startProxy, waitFor } from '../../helpers/harness.js'
import { post, VERIFY } from '../../helpers/journal.js'
import { redisSkip, startRedis } from '../../helpers/redis-server.js'
import { sharedJournalEnv } from '../../helpers/redis-journal.js'

t.test('rediss://: the store\'s certificate is verified (IDEMPOTENCY_STORE_CA_FILE), never taken on trust', { skip: redisSkip }, async (t) => {
  const p = await pki()
  const certFile = p.write('redis-server.pem', p.server.certPem)
  const keyFile = p.write('redis-server.key', p.server.keyPem)
  const redis = await startRedis(t, { tls: { certFile, keyFile, caFile: p.caFile } })
  t.match(redis.url, /^rediss:\/\/localhost:\d+$/)
  const mock = await startMock(t)

  const trusted = await startProxy(t, mock, await sharedJournalEnv(redis.url, { IDEMPOTENCY_STORE_CA_FILE: p.caFile }))
  t.equal(trusted.sidecar.journalStore().connected, true, 'connected over TLS')
  const http = client(t)
  t.equal((await post(http, `${trusted.url}${VERIFY}`, 'tls-1')).status, 200)
  t.equal((await post(http, `${trusted.url}${VERIFY}`, 'tls-1')).headers['idempotent-replayed'], 'true')

  // without the CA, the private certificate is refused: keyed requests fail closed
  const untrusted = await startProxy(t, mock, await sharedJournalEnv(redis.url, { IDEMPOTENCY_STORE_TIMEOUT_MS: '500' }))
  t.equal(untrusted.sidecar.journalStore().connected, false)
  t.ok(await waitFor(() => /certificate/i.test(untrusted.sidecar.journalStore().lastError ?? '')), 'the reason names the certificate')
  const before = mock.requests.length
  t.equal((await post(http, `${untrusted.url}${VERIFY}`, 'tls-2')).headers['x-sidecar-error'], 'IDEMPOTENCY_STORE_UNAVAILABLE')
  t.equal(mock.requests.length, before)
})
