import { request } from 'undici'
import type { IdentityStore } from '../identity/identity-store.js'
import { classifyUpstreamError } from './classify-error.js'

export const TEST_AUTH_PATH = '/connection/v1/testauthentication'

export interface TestAuthResult {
  readonly ok: boolean
  /** Who refused: the TLS layer (certificate), NAPI (credentials) or neither (upstream). */
  readonly refused?: 'certificate' | 'credentials' | 'upstream'
  readonly detail: string
}

/** Calls Trulioo's test endpoint through the store's current identity and credentials. */
export async function testAuthentication (store: IdentityStore, timeoutMs: number): Promise<TestAuthResult> {
  const origin = new URL(store.config.UPSTREAM_URL).origin
  const headers: Record<string, string> = {}
  if (store.authorization !== undefined) headers.authorization = store.authorization
  try {
    const res = await request(origin + TEST_AUTH_PATH, {
      dispatcher: store.dispatcher, method: 'GET', headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs
    })
    const body = await res.body.text()
    if (res.statusCode === 200) return { ok: true, detail: `answered ${body.slice(0, 80)}` }
    if (res.statusCode === 401 || res.statusCode === 403) {
      return { ok: false, refused: 'credentials', detail: `the NAPI credentials were refused (HTTP ${res.statusCode}): check TRULIOO_USERNAME and TRULIOO_PASSWORD` }
    }
    return { ok: false, refused: 'upstream', detail: `the upstream answered HTTP ${res.statusCode}` }
  } catch (err) {
    const classified = classifyUpstreamError(err, store.fates)
    return {
      ok: false,
      refused: /client certificate|refused the TLS/.test(classified.message) ? 'certificate' : 'upstream',
      detail: classified.message
    }
  }
}
