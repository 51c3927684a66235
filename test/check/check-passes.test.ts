import t from 'tap'
import { runCheck } from '../../src/check/run-check.js'
import { baseEnv, pki, startMock } from '../helpers/harness.js'
import { memoryIo, runCli } from '../helpers/cli.js'

t.test('check passes end to end against the mock upstream', async (t) => {
  const mock = await startMock(t)
  const env = await baseEnv(mock)
  const report = await runCheck({ env, envFile: false })
  t.ok(report.ok, JSON.stringify(report.steps, null, 2))
  t.equal(report.exitCode, 0)
  t.same(report.steps.map((s) => s.id),
    ['config', 'certificate', 'passphrase', 'key-match', 'dns', 'tcp', 'egress-proxy', 'tls', 'client-cert', 'auth', 'round-trip'])
  t.ok(report.steps.every((s) => s.status === (s.id === 'egress-proxy' ? 'skip' : 'pass')))
  t.match(report.steps.find((s) => s.id === 'egress-proxy')?.detail, /HTTPS_PROXY and ALL_PROXY are unset/, 'no proxy: the step says so')
  const byId = Object.fromEntries(report.steps.map((s) => [s.id, s]))
  t.match(byId.certificate?.detail, /CN=client\.test\.example, issued by CN=Sidecar Test CA, \d+ days left/)
  t.match(byId.tls?.detail, /TLSv1\.3/)
  t.match(byId.tls?.detail, /CN=localhost/)
  t.match(byId.tls?.detail, /client certificate required/)
  t.equal(byId.tls?.data?.clientCertificateRequired, true)
  t.match(byId['client-cert']?.detail, /HTTP 401/)
  t.match(byId.auth?.detail, /"Hello demo-user"/)
  t.match(byId['round-trip']?.detail, /\d+ ms on a kept-alive connection/)
  t.ok(mock.requests.some((r) => r.clientSubject === 'client.test.example' && r.headers.authorization !== undefined))
})

t.test('the check command prints a ✔ line per step and exits 0; --json gives one document', async (t) => {
  const mock = await startMock(t)
  const env = await baseEnv(mock)
  // an empty settings file: nothing but the environment counts
  const empty = (await pki()).write('empty.env', '')

  const text = await runCli(memoryIo(env), ['check', '--config-file', empty])
  t.equal(text.exitCode, 0, text.out())
  const lines = text.out().trim().split('\n')
  t.match(lines[0], `Checking the way to ${mock.url}`)
  t.equal(lines.filter((l) => l.startsWith('✔ ')).length, 10)
  t.notMatch(text.out(), /\u001b\[/, 'no colour when stdout is not a terminal')
  t.match(text.out(), /✔ GET \/connection\/v1\/testauthentication: HTTP 200 "Hello demo-user"/)

  const json = await runCli(memoryIo(env), ['check', '--json', '--config-file', empty])
  t.equal(json.exitCode, 0)
  const report = JSON.parse(json.out()) as { ok: boolean, steps: Array<{ id: string, status: string }> }
  t.equal(report.ok, true)
  t.equal(report.steps.length, 11, 'the egress proxy step is listed, skipped')

  const failed = await runCli(memoryIo({ ...env, TRULIOO_PASSWORD: 'wrong' }), ['check', '--json', '--config-file', empty])
  t.equal(failed.exitCode, 1)
  const failure = JSON.parse(failed.out()) as { ok: boolean, steps: Array<{ id: string, status: string, advice?: string }>, notRun: string[] }
  t.equal(failure.ok, false)
  t.same(failure.steps.at(-1), { ...failure.steps.at(-1), id: 'auth', status: 'fail' })
  t.same(failure.notRun, ['round-trip'])

  const coloured = await runCli(memoryIo(env, { stdoutTTY: true }), ['check', '--config-file', empty])
  t.match(coloured.out(), /\u001b\[32m✔\u001b\[0m/, 'green ticks on a terminal')
  const noColor = await runCli(memoryIo({ ...env, NO_COLOR: '1' }, { stdoutTTY: true }), ['check', '--config-file', empty])
  t.notMatch(noColor.out(), /\u001b\[/, 'NO_COLOR turns colours off')
})

t.test('check exits 78 with the problem when the configuration is invalid', async (t) => {
  const empty = (await pki()).write('empty.env', '')
  const io = await runCli(memoryIo({ UPSTREAM_URL: 'http://insecure.example' }), ['check', '--config-file', empty])
  t.equal(io.exitCode, 78)
  t.match(io.out(), /✘ configuration valid: UPSTREAM_URL: must use https/)
  t.match(io.out(), /→ Fix the settings/)
})

t.test('without NAPI credentials the Hello step is skipped, not failed', async (t) => {
  const mock = await startMock(t)
  const env: Record<string, string | undefined> = { ...await baseEnv(mock), TRULIOO_USERNAME: undefined, TRULIOO_PASSWORD: undefined }
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]
  const report = await runCheck({ env: env as NodeJS.ProcessEnv, envFile: false })
  t.equal(report.exitCode, 0)
  const auth = report.steps.find((s) => s.id === 'auth')
  t.equal(auth?.status, 'skip')
  t.match(auth?.detail, /no NAPI credentials are set/)
  t.match(report.steps.at(-1)?.detail, /HTTP 401/, 'the round trip is still measured')
})

t.test('a key file others can read passes with a chmod warning', async (t) => {
  const mock = await startMock(t)
  const p = await pki()
  const env = { ...await baseEnv(mock), TLS_KEY_FILE: p.write('open.key', p.client.keyPem, 0o644) }
  const report = await runCheck({ env, envFile: false })
  t.equal(report.exitCode, 0)
  t.match(report.steps.find((s) => s.id === 'passphrase')?.detail, /readable by group or others \(mode 0644\): chmod 600 it/)
})
