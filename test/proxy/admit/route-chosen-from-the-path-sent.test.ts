import t from 'tap'
import { startMock, startProxy, oauthEnv, freePort, waitFor, USERNAME, PASSWORD } from '../../helpers/harness.js'
import { headersOf, rawExchange, statusOf } from '../../helpers/raw-http.js'

// Issue 16, item 4: one string decides both the credentials and the path that
// goes upstream. A target a server could read as another path (dot segments,
// backslashes, encoded slashes, empty segments) is refused; an encoded letter
// or another case still gets the credentials of the route it names.

const API_KEY = 'test-api-key-Rt7'
const ROUTES = '/__mock/echo/v3/=oauth2:napi.api,/__mock/echo/gw/=api-key,/__mock/echo/pt/=pass-through,/=basic'
const BASIC = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`
const APP_AUTH = 'Bearer the-apps-own-token'

type Seen = { authorization?: string, apiKey?: string }
const SCHEMES: Record<string, { segment: string, expect: (seen: Seen) => boolean }> = {
  'oauth2': { segment: 'v3', expect: (s) => /^Bearer /.test(s.authorization ?? '') && s.authorization !== APP_AUTH },
  'api-key': { segment: 'gw', expect: (s) => s.apiKey === API_KEY && s.authorization === undefined },
  'pass-through': { segment: 'pt', expect: (s) => s.authorization === APP_AUTH },
  'basic': { segment: 'v1', expect: (s) => s.authorization === BASIC }
}

// each variant of `/__mock/echo/<segment>/x`, refused or sent as its canonical path
const REFUSED = (seg: string): string[] => [
  `/./__mock/echo/${seg}/x`, `/__mock/./echo/${seg}/x`, `/__mock/echo/x/../${seg}/x`, `/__mock/echo/${seg}/x/..`,
  `/%2e/__mock/echo/${seg}/x`, `/__mock/echo/%2E%2E/echo/${seg}/x`, `/__mock/echo/.%2e/${seg}/x`,
  `/__mock/echo\\${seg}/x`, `/__mock\\echo/${seg}/x`, `/__mock/echo%5C${seg}/x`, `/__mock/echo%5c${seg}/x`,
  `//__mock/echo/${seg}/x`, `/__mock//echo/${seg}/x`, `/__mock/echo/${seg}//x`,
  `/__mock/echo%2F${seg}/x`, `/__mock/echo%2f${seg}/x`, `/__mock/echo/${seg}/%zz`,
  `http://elsewhere.invalid/./__mock/echo/${seg}/x`, `HTTP://elsewhere.invalid\\__mock/echo/${seg}/x`
]
const SENT = (seg: string): Array<[string, string]> => [
  [`/__mock/echo/${seg}/x`, `/__mock/echo/${seg}/x`],
  [`/__mock/echo/${seg.toUpperCase()}/x`, `/__mock/echo/${seg.toUpperCase()}/x`],
  [`/__mock/%65cho/${seg}/x`, `/__mock/echo/${seg}/x`],
  [`/__mock/echo/%${seg.charCodeAt(0).toString(16)}${seg.slice(1)}/x?q=%2e`, `/__mock/echo/${seg}/x?q=%2e`],
  [`http://elsewhere.invalid/__mock/echo/${seg}/x`, `/__mock/echo/${seg}/x`],
  [`HTTPS://ELSEWHERE.invalid/__mock/echo/${seg.toUpperCase()}/x`, `/__mock/echo/${seg.toUpperCase()}/x`]
]

t.test('for every scheme, variants of a path are refused or carry exactly the credentials of the path sent', async (t) => {
  const mock = await startMock(t, { apiKey: API_KEY })
  const { url, sidecar } = await startProxy(t, mock, { ...oauthEnv(mock), TRULIOO_API_KEY: API_KEY, AUTH_ROUTES: ROUTES, ADMIN_PORT: String(await freePort()) })
  t.ok(await waitFor(() => sidecar.readiness.ready), 'ready')
  for (const [scheme, { segment, expect }] of Object.entries(SCHEMES)) {
    for (const target of REFUSED(segment)) {
      const before = mock.requests.length
      const { text } = await rawExchange(url, `GET ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: ${APP_AUTH}\r\nConnection: close\r\n\r\n`)
      t.equal(statusOf(text), 400, `${scheme}: ${target} refused`)
      // (Node's own parser already refuses a backslash in an absolute-form target: BAD_REQUEST)
      t.equal(headersOf(text)['x-sidecar-error'], target.startsWith('HTTP://') ? 'BAD_REQUEST' : 'BAD_REQUEST_TARGET', `${scheme}: ${target} refused in the sidecar's format`)
      if (!target.startsWith('HTTP://')) t.match(text, /holds (a|an) |cannot be forwarded/, `${scheme}: ${target}: the message says what is wrong`)
      t.equal(mock.requests.length, before, `${scheme}: ${target} never reached the upstream`)
    }
    for (const [target, sent] of SENT(segment)) {
      const { text } = await rawExchange(url, `GET ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: ${APP_AUTH}\r\nConnection: close\r\n\r\n`)
      t.equal(statusOf(text), 200, `${scheme}: ${target} forwarded`)
      const seen = mock.requests[mock.requests.length - 1]
      t.equal(seen?.path, sent, `${scheme}: ${target} sent as ${sent}`)
      const headers = seen?.headers ?? {}
      const got: Seen = { authorization: headers.authorization as string | undefined, apiKey: headers['x-trulioo-api-key'] as string | undefined }
      t.ok(expect(got), `${scheme}: ${target} carried the ${scheme} credentials (${got.authorization?.slice(0, 12) ?? 'none'}, key ${got.apiKey === undefined ? 'none' : 'set'})`)
    }
  }
})
