import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { ROOT } from '../helpers/root.js'

// deploy/prometheus/alerts.yaml: valid rules (`promtool check rules`), each
// alert firing for its case and silent for its neighbour (`promtool test
// rules` with test/prometheus/alerts.test.yaml), on the metric names the
// sidecar exports. promtool comes from scripts/promtool-env.sh (PATH, or
// Debian's prometheus package, extracted, not installed).
const RULES = join(ROOT, 'deploy', 'prometheus', 'alerts.yaml')
const UNIT_TESTS = join(ROOT, 'test', 'prometheus', 'alerts.test.yaml')

function exec (file: string, args: string[], timeoutMs = 60_000): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

const found = await exec('bash', [join(ROOT, 'scripts', 'promtool-env.sh')], 180_000)
const promtool = found.code === 0 ? found.stdout.trim().split('\n').pop() : undefined
const skip = promtool === undefined ? `promtool could not be installed: ${found.stderr.trim().split('\n').slice(-2).join(' | ')}` : false

t.test('the seven alerts, on the metrics the sidecar exports', async (t) => {
  const doc = parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string, expr: string, for?: string, labels: { severity: string } }> }> }
  const rules = Object.fromEntries(doc.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]))
  t.same(Object.keys(rules).sort(), [
    'TruliooSidecarCertificateExpiresIn14Days', 'TruliooSidecarCertificateExpiresIn3Days',
    'TruliooSidecarIdempotencyStoreDown', 'TruliooSidecarIdentityReloadFailing', 'TruliooSidecarNoStandbyCertificate', 'TruliooSidecarNotReady', 'TruliooSidecarUpstreamErrorRatioHigh'
  ])
  t.match(rules.TruliooSidecarNoStandbyCertificate?.expr, /trulioo_sidecar_client_certificate_info\{state="standby"\}/)
  t.match(rules.TruliooSidecarCertificateExpiresIn14Days?.expr, /trulioo_sidecar_client_certificate_expiration_timestamp_seconds - time\(\) < 14 \* 86400/)
  t.match(rules.TruliooSidecarCertificateExpiresIn3Days?.expr, /trulioo_sidecar_client_certificate_expiration_timestamp_seconds - time\(\) < 3 \* 86400/)
  t.match(rules.TruliooSidecarIdentityReloadFailing?.expr, /trulioo_sidecar_identity_reloads_total\{outcome="failure"\}/)
  t.match(rules.TruliooSidecarUpstreamErrorRatioHigh?.expr, /trulioo_sidecar_errors_total\{code=~"UPSTREAM_\.\*"\}[\s\S]*\/[\s\S]*trulioo_sidecar_requests_total/)
  t.match(rules.TruliooSidecarNotReady, { expr: /trulioo_sidecar_ready == 0/, for: '5m' })
  t.match(rules.TruliooSidecarIdempotencyStoreDown, { expr: /trulioo_sidecar_idempotency_store_up == 0/, for: '2m' })
  t.equal(rules.TruliooSidecarCertificateExpiresIn3Days?.labels.severity, 'critical')
})

t.test('promtool check rules accepts them, and would refuse a broken one', { skip }, async (t) => {
  const checked = await exec(promtool!, ['check', 'rules', RULES])
  t.equal(checked.code, 0, checked.stdout + checked.stderr)
  t.match(checked.stdout, /SUCCESS: 7 rules found/)
  const dir = mkdtempSync(join(tmpdir(), 'tmsc-rules-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const broken = join(dir, 'alerts.yaml')
  writeFileSync(broken, readFileSync(RULES, 'utf8').replace('trulioo_sidecar_ready == 0', 'trulioo_sidecar_ready == == 0'))
  t.not((await exec(promtool!, ['check', 'rules', broken])).code, 0, 'a syntax error is caught')
})

t.test('promtool test rules: each alert fires for its case, not for its neighbour', { skip }, async (t) => {
  const tested = await exec(promtool!, ['test', 'rules', UNIT_TESTS])
  t.equal(tested.code, 0, tested.stdout + tested.stderr)
  t.match(tested.stdout, /SUCCESS/)
})
