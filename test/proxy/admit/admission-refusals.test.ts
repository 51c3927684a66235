import type { IncomingMessage } from 'node:http'
import t from 'tap'
import type { IdentityStore } from '../../../src/identity/identity-store.js'
import { Admission } from '../../../src/proxy/admit.js'
import { upstreamTarget as originForm } from '../../../src/proxy/target.js'
import { Readiness } from '../../../src/readiness.js'
import { Lifecycle } from '../../../src/lifecycle.js'

// Stage 1 on its own: every refusal it makes, in the order a request meets
// them, from the request line and headers alone.
const NOT_AFTER = Date.UTC(2030, 0, 1)
const store = { identity: { info: { notAfter: new Date(NOT_AFTER), subject: 'CN=x', serialNumber: '01' } } } as unknown as IdentityStore

function admission (clock = NOT_AFTER - 1, token?: string): { admit: Admission, lifecycle: Lifecycle } {
  const lifecycle = new Lifecycle()
  return { admit: new Admission({ maxBodyBytes: 1000, proxyAuthToken: token }, new Readiness(store, lifecycle.facts, { now: () => clock })), lifecycle }
}
const req = (method: string, headers: Record<string, string> = {}): IncomingMessage => ({ method, headers }) as unknown as IncomingMessage

t.test('a plain GET of a path is admitted', async (t) => {
  t.equal(admission().admit.refusal(req('GET'), '/connection/v1/testauthentication'), undefined)
})

const cases: Array<{ name: string, method?: string, headers?: Record<string, string>, target?: string, token?: string, clock?: number, draining?: boolean, startup?: boolean, code: string }> = [
  { name: 'CONNECT', method: 'CONNECT', code: 'METHOD_NOT_ALLOWED' },
  { name: 'TRACE', method: 'TRACE', code: 'METHOD_NOT_ALLOWED' },
  { name: 'missing proxy token', token: 's3cret-token', code: 'PROXY_AUTH_REQUIRED' },
  { name: 'wrong proxy token', token: 's3cret-token', headers: { 'proxy-authorization': 'Bearer nope' }, code: 'PROXY_AUTH_REQUIRED' },
  { name: 'declared body over the limit', method: 'POST', headers: { 'content-length': '1001' }, code: 'BODY_TOO_LARGE' },
  { name: 'asterisk-form target', method: 'OPTIONS', target: '*', code: 'BAD_REQUEST_TARGET' },
  { name: 'draining', draining: true, code: 'SHUTTING_DOWN' },
  { name: 'certificate expired', clock: NOT_AFTER + 1, code: 'NOT_READY' },
  { name: 'start-up check not passed', startup: false, code: 'NOT_READY' }
]
for (const c of cases) {
  t.test(`refused: ${c.name} -> ${c.code}`, async (t) => {
    const { admit, lifecycle } = admission(c.clock, c.token)
    if (c.draining === true) lifecycle.drain()
    if (c.startup === false) lifecycle.startupCheckRequired()
    const refused = admit.refusal(req(c.method ?? 'GET', c.headers), c.target ?? '/x')
    t.equal(refused?.code, c.code)
    t.notMatch(refused?.message ?? '', /s3cret-token/, 'the token is never echoed')
  })
}

t.test('the right proxy token and a body at the limit are admitted', async (t) => {
  const { admit } = admission(undefined, 's3cret-token')
  t.equal(admit.refusal(req('POST', { 'proxy-authorization': 'Bearer s3cret-token', 'content-length': '1000' }), '/x'), undefined)
})

t.test('absolute-form targets are reduced to their path and query; other forms are left alone', async (t) => {
  t.equal(originForm('http://elsewhere.invalid/a/b?c=1'), '/a/b?c=1')
  t.equal(originForm('HTTPS://elsewhere.invalid'), '/')
  t.equal(originForm('/already/a/path'), '/already/a/path')
  t.equal(originForm('*'), '*')
  t.equal(originForm('ftp://x/y'), 'ftp://x/y')
})
