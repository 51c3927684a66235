import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { editDistance } from '../../src/config/closest-name.js'
import { lookAlikeSettings, lookAlikeVariables } from '../../src/config/look-alike-variables.js'
import { baseEnv, startMock } from '../helpers/harness.js'
import { emptyCwd, runCli } from '../helpers/spawn-cli.js'
import { spawnSidecar } from '../helpers/spawn-sidecar.js'

// A variable that looks like one of ours but is not would be ignored in
// silence: it is a warning naming the closest real setting.
t.test('near a real setting: named; far from every one, or not ours: left alone', async (t) => {
  const rows: Array<[set: string, closest: string | undefined]> = [
    ['TLS_CERT_FIEL', 'TLS_CERT_FILE'],
    ['TRULIOO_USERNAM', 'TRULIOO_USERNAME'],
    ['LISTEN_PROT', 'LISTEN_PORT'],
    ['ADMIN_HSOT', 'ADMIN_HOST'],
    ['UPSTREAM_URI', 'UPSTREAM_URL'],
    ['PROXY_AUTH_TOKN', 'PROXY_AUTH_TOKEN'],
    ['CERT_WATCHES', 'CERT_WATCH'],
    // a mistyped store would leave the journal in this process only: replicas would run duplicates
    ['IDEMPOTENCY_STROE', 'IDEMPOTENCY_STORE'],
    ['IDEMPOTENCY_ENCRYPTION_KEY_FIEL', 'IDEMPOTENCY_ENCRYPTION_KEY_FILE'],
    ['BILLABLE_ROUTE', 'BILLABLE_ROUTES'],
    ['EGRESS_PROXY_AUTH_FIEL', 'EGRESS_PROXY_AUTH_FILE'],
    ['CLIENT_BODY_TIMEOUT', 'CLIENT_BODY_TIMEOUT_MS'],
    ['TOKEN_URI', 'TOKEN_URL'],
    ['TLS_CERT', 'TLS_CERT_FILE'],
    ['LISTEN_PORT_FILE', 'LISTEN_PORT'],
    ['TLS_CERT_FILE', undefined],
    ['TRULIOO_BASE_URL', undefined],
    ['ADMIN_SERVICE_HOST', undefined],
    ['HOME', undefined],
    ['CONNECT_TIMEOUT', undefined]
  ]
  for (const [set, closest] of rows) {
    const found = lookAlikeVariables([set])
    t.same(found.map((f) => f.closest), closest === undefined ? [] : [closest], set)
  }
  t.equal(editDistance('FIEL', 'FILE'), 1, 'a swap of neighbours is one edit')
  t.same(lookAlikeVariables(['TLS_CERT_FIEL', 'TLS_CERT_FIEL']).length, 1, 'once each')
})

t.test('names in the .env file count too; values never appear', async (t) => {
  const cwd = emptyCwd(t)
  const file = join(cwd, '.env')
  writeFileSync(file, 'TRULIOO_PASWORD=hunter2-secret\n')
  const found = lookAlikeSettings({}, file)
  t.same(found.map((f) => [f.variable, f.closest]), [['TRULIOO_PASWORD', 'TRULIOO_PASSWORD']])
  t.notMatch(found[0]?.message, /hunter2/)
})

t.test('serve: the typo is said before the error line it causes', async (t) => {
  const cwd = emptyCwd(t)
  const run = await runCli(['serve'], { TLS_CERT_FIEL: '/etc/trulioo/client.pem', TLS_KEY_FILE: '/nonexistent.key' }, cwd)
  t.equal(run.code, 78)
  const lines = run.stderr.trim().split('\n')
  t.equal(lines[0], 'trulioo-mtls-sidecar: warning: TLS_CERT_FIEL is not a setting of this sidecar and is ignored (did you mean TLS_CERT_FILE?)')
  t.match(lines[1], /^trulioo-mtls-sidecar: configuration error: .*TLS_CERT_FILE: is required/)
  t.equal(lines.length, 2)
})

t.test('serve: a look-alike beside a good configuration is a warning in the log', async (t) => {
  const mock = await startMock(t)
  const run = spawnSidecar(t, ['serve'], { ...await baseEnv(mock), LOG_LEVEL: 'info', ADMIN_PROT: '9999' })
  const line = JSON.parse(await run.waitForLine(/ADMIN_PROT/)) as Record<string, unknown>
  t.match(line, { level: /^(40|warn)$/, variable: 'ADMIN_PROT', closest: 'ADMIN_PORT', msg: /did you mean ADMIN_PORT\?/ })
  await run.waitForLine(/listening|ready/i)
  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0)
})
