import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { keyRequired, parseRequiredRoutes } from '../../src/journal/required-routes.js'
import type { ConfigError } from '../../src/errors.js'
import { baseEnv, client, startMock, startProxy } from '../helpers/harness.js'
import { post, VERIFY } from '../helpers/journal.js'

t.test('IDEMPOTENCY_REQUIRED_ROUTES: a listed POST without a key gets 400 IDEMPOTENCY_KEY_REQUIRED and is not sent', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock, { IDEMPOTENCY_REQUIRED_ROUTES: `POST ${VERIFY}, PATCH /__mock/status/` })
  const http = client(t)
  const refused = await post(http, `${url}${VERIFY}`, undefined)
  t.equal(refused.status, 400)
  t.equal(refused.headers['x-sidecar-error'], 'IDEMPOTENCY_KEY_REQUIRED')
  t.match(refused.json().error.message, /must carry Idempotency-Key/)
  t.equal(mock.requests.length, 0)
  t.equal((await post(http, `${url}${VERIFY}?x=1`, undefined)).status, 400, 'the query does not matter')
  // the path rule: prefixes match regardless of case, and encoded letters are decoded before matching
  t.equal((await post(http, `${url}${VERIFY.toUpperCase()}`, undefined)).status, 400, 'another case of the path is the same route')
  t.equal((await post(http, `${url}${VERIFY.replace('v', '%76')}`, undefined)).status, 400, 'an encoded letter is the same route')
  t.equal(mock.requests.length, 0, 'none of them was sent')
  t.equal((await post(http, `${url}${VERIFY}`, 'req-1')).status, 200, 'with a key it runs')
  t.equal((await post(http, `${url}/__mock/echo`, undefined)).status, 200, 'another path is not listed')
  t.equal((await post(http, `${url}/__mock/status/200`, undefined)).status, 200, 'another method on a listed prefix')
  t.equal((await post(http, `${url}/__mock/status/200`, undefined, { method: 'PATCH' })).status, 400)
})

t.test('the entries are parsed and refused at start-up', async (t) => {
  t.same(parseRequiredRoutes('POST /a, patch /B/,'), [{ method: 'POST', prefix: '/a', folded: '/a' }, { method: 'PATCH', prefix: '/B/', folded: '/b/' }])
  t.same(parseRequiredRoutes(undefined), [])
  t.ok(keyRequired(parseRequiredRoutes('POST /v3/'), 'POST', '/v3/verifications?x'))
  t.notOk(keyRequired(parseRequiredRoutes('POST /v3/'), 'GET', '/v3/verifications'))
  t.ok(keyRequired(parseRequiredRoutes('POST /v3/'), 'POST', '/V3/verifications'))
  t.notOk(keyRequired(parseRequiredRoutes('POST /v3/x'), 'POST', '/v3/'), 'a target shorter than the prefix')
  for (const bad of ['/a', 'POST a', 'GET /a', 'POST /a /b']) {
    const problems: ConfigError[] = []
    parseRequiredRoutes(bad, problems)
    t.equal(problems.length, 1, bad)
  }
  const mock = await startMock(t)
  const env = { ...await baseEnv(mock), IDEMPOTENCY_REQUIRED_ROUTES: 'GET /a' } as NodeJS.ProcessEnv
  t.throws(() => loadConfig({ env, envFile: false }),
    /IDEMPOTENCY_REQUIRED_ROUTES: "GET \/a": the method must be POST or PATCH/)
})
