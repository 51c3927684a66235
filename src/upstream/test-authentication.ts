import type { Dispatcher } from 'undici'
import type { Config } from '../config/schema.js'
import { classifyUpstreamError } from './classify-error.js'
import type { UpstreamPool } from './upstream-pool.js'

export const TEST_AUTH_PATH = '/connection/v1/testauthentication'

/**
 * One GET of Trulioo's test endpoint through `dispatcher`, with the given
 * Basic value: what `serve`'s start-up check and `check` both send.
 * Rejects with undici's error; classify it with classifyUpstreamError.
 */
export async function callTestAuthentication (
  dispatcher: Dispatcher, config: Config, authorization: string | undefined, timeoutMs: number
): Promise<{ status: number, text: string }> {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'trulioo-mtls-sidecar' }
  if (authorization !== undefined) headers.authorization = authorization
  const url = new URL(TEST_AUTH_PATH, config.UPSTREAM_URL)
  const res = await dispatcher.request({
    origin: url.origin, path: url.pathname, method: 'GET', headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs
  })
  return { status: res.statusCode, text: await res.body.text() }
}

export interface TestAuthResult {
  readonly ok: boolean
  /** Who refused: the TLS layer (certificate), NAPI (credentials), the egress proxy, or neither (upstream). */
  readonly refused?: 'certificate' | 'credentials' | 'egress-proxy' | 'upstream'
  readonly detail: string
}

/** Calls Trulioo's test endpoint through the pool's current identity, with these credentials. */
export async function testAuthentication (
  pool: Pick<UpstreamPool, 'dispatcher' | 'fates'>, config: Config, authorization: string | undefined, timeoutMs: number
): Promise<TestAuthResult> {
  try {
    const { status, text } = await callTestAuthentication(pool.dispatcher, config, authorization, timeoutMs)
    if (status === 200) return { ok: true, detail: `answered ${text.slice(0, 80)}` }
    if (status === 401 || status === 403) {
      return { ok: false, refused: 'credentials', detail: `the NAPI credentials were refused (HTTP ${status}): check TRULIOO_USERNAME and TRULIOO_PASSWORD` }
    }
    return { ok: false, refused: 'upstream', detail: `the upstream answered HTTP ${status}` }
  } catch (err) {
    const classified = classifyUpstreamError(err, pool.fates)
    const refused = classified.clientCertificateRefused ? 'certificate' : classified.code === 'EGRESS_PROXY_ERROR' ? 'egress-proxy' : 'upstream'
    return { ok: false, refused, detail: classified.message }
  }
}
