import t from 'tap'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { loadConfig } from '../../src/config/load-config.js'
import { DEFAULT_BILLABLE_ROUTES } from '../../src/config/schema.js'
import { BillableRoutes } from '../../src/journal/billable-routes.js'
import { AccessRecord } from '../../src/proxy/access-record.js'
import { baseEnv, startMock } from '../helpers/harness.js'

// BILLABLE_ROUTES: `METHOD /path-prefix` entries, parsed by the parser
// IDEMPOTENCY_REQUIRED_ROUTES uses and matched as it is (the method, the path
// as sent starting with the prefix regardless of case). The default names the
// verify, v3 verifications, Workflow Studio submit and KYB search calls.

t.test('the default list, and matching', async (t) => {
  const billable = new BillableRoutes({ BILLABLE_ROUTES: DEFAULT_BILLABLE_ROUTES })
  t.same(billable.routes.map((r) => `${r.method} ${r.prefix}`), [
    'POST /verifications/v1/verify',
    'POST /v3/verifications/',
    'POST /wfs/interpreter-v2/submit/',
    'POST /business/v1/search'
  ])
  const rows: Array<[string, string, boolean]> = [
    ['POST', '/verifications/v1/verify', true],
    ['POST', '/verifications/v1/verify?x=1', true],
    ['POST', '/VERIFICATIONS/V1/Verify', true],
    ['POST', '/v3/verifications/verify', true],
    ['POST', '/wfs/interpreter-v2/submit/flow-1', true],
    ['POST', '/business/v1/search', true],
    ['GET', '/verifications/v1/verify', false],
    ['PATCH', '/verifications/v1/verify', false],
    ['POST', '/verifications/v1/transaction/x/status', false],
    ['POST', '/v3/verifications', false],
    ['POST', '/connection/v1/testauthentication', false],
    ['POST', '/', false],
    ['POST', '', false]
  ]
  for (const [method, path, expected] of rows) t.equal(billable.matches(method, path), expected, `${method} ${path}`)
})

t.test('the stage marks a billable request and gives it a scanner; any other request gets nothing', async (t) => {
  const billable = new BillableRoutes({ BILLABLE_ROUTES: 'POST /a/, patch /B' })
  for (const [method, url, expected] of [['POST', '/a/x', true], ['PATCH', '/b/y', true], ['GET', '/a/x', false], ['POST', '/b', false], ['POST', '/c', false]] as const) {
    const record = new AccessRecord('r', method, url, undefined)
    const exchange: { transactionIds: unknown } = { transactionIds: undefined }
    const request = { raw: { method }, url, record, exchange } as unknown as FastifyRequest
    let called = 0
    billable.stage(request, {} as FastifyReply, () => { called++ })
    t.equal(called, 1, 'always goes on')
    t.equal(record.billable, expected, `${method} ${url}: billable`)
    t.equal(exchange.transactionIds !== undefined, expected, `${method} ${url}: a scanner only when billable`)
  }
})

t.test('a bad entry stops start-up, naming BILLABLE_ROUTES', async (t) => {
  const mock = await startMock(t)
  const env = await baseEnv(mock)
  const rows: Array<[string, RegExp]> = [
    ['GET /verifications/', /BILLABLE_ROUTES: "GET \/verifications\/": the method must be POST or PATCH, the only ones whose answer is seen through and recorded/],
    ['POST verifications', /BILLABLE_ROUTES: "POST verifications" is not `METHOD \/path-prefix`/],
    ['/v3/', /BILLABLE_ROUTES: "\/v3\/" is not `METHOD \/path-prefix`/]
  ]
  for (const [value, says] of rows) {
    t.throws(() => loadConfig({ env: { ...env, BILLABLE_ROUTES: value } as NodeJS.ProcessEnv, envFile: false }), says, value)
  }
  t.equal(loadConfig({ env: env as NodeJS.ProcessEnv, envFile: false }).BILLABLE_ROUTES, DEFAULT_BILLABLE_ROUTES, 'unset: the default list')
  t.equal(loadConfig({ env: { ...env, BILLABLE_ROUTES: 'POST /x' } as NodeJS.ProcessEnv, envFile: false }).BILLABLE_ROUTES, 'POST /x')
})
