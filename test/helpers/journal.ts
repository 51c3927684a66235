import type { Agent } from 'undici'
import type { Test } from 'tap'
import { type Answer, call, client, startMock, startProxy } from './harness.js'
import { FakeClock } from './fake-clock.js'

export const VERIFY = '/verifications/v1/verify'
export const BODY = JSON.stringify({ CountryCode: 'CA', DataFields: { PersonInfo: { FirstGivenName: 'Jane-Journal-Body' } } })

/** A POST as an application sends it, with `Idempotency-Key: key` unless key is undefined. */
export async function post (http: Agent, url: string, key: string | undefined, options: { body?: string | Buffer, headers?: Record<string, string>, method?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers }
  if (key !== undefined) headers['idempotency-key'] = key
  return await call(http, url, { method: (options.method ?? 'POST') as 'POST', body: options.body ?? BODY, headers })
}

/** The access lines in a sidecar's log. */
export function accessLines (lines: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return lines.filter((line) => line.msg === 'request')
}

/**
 * A kept answer is replayed until IDEMPOTENCY_TTL_S (60 s) has passed on the
 * journal's clock, then the key runs again: the same rule for every store
 * (`env` picks one). The clock starts now, since it judges the certificate too.
 */
export async function keptAnswerExpiresAfterTtl (t: Test, env: Record<string, string>): Promise<void> {
  const mock = await startMock(t)
  const clock = new FakeClock(Date.now())
  const { url } = await startProxy(t, mock, { ...env, IDEMPOTENCY_TTL_S: '60' }, { clock })
  const http = client(t)
  t.equal((await post(http, `${url}${VERIFY}`, 'ttl-1')).status, 200)
  await clock.advance(59_000)
  t.equal((await post(http, `${url}${VERIFY}`, 'ttl-1')).headers['idempotent-replayed'], 'true', 'within the TTL')
  await clock.advance(1_000)
  const after = await post(http, `${url}${VERIFY}`, 'ttl-1')
  t.equal(after.status, 200)
  t.equal(after.headers['idempotent-replayed'], undefined, 'expired: it ran again')
  t.equal(mock.requests.length, 2)
}
