import type { Agent } from 'undici'
import { type Answer, call } from './harness.js'

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
