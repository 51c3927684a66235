import { execFile } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'
import { call, client, freePort, startMock, startProxy } from '../helpers/harness.js'
import { ROOT } from '../helpers/root.js'

// A live scrape, after real traffic, is what Prometheus will read:
// `promtool check metrics` lints it (format, naming, units, counters' _total).
// promtool comes from scripts/promtool-env.sh (PATH, or Debian's package, extracted).
function exec (file: string, args: string[], input?: string): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd: ROOT, timeout: 180_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
    if (input !== undefined) child.stdin?.end(input)
  })
}

const found = await exec('bash', [join(ROOT, 'scripts', 'promtool-env.sh')])
const promtool = found.code === 0 ? found.stdout.trim().split('\n').pop() : undefined
const skip = promtool === undefined ? `promtool could not be installed: ${found.stderr.trim().split('\n').slice(-2).join(' | ')}` : false

t.test('promtool check metrics finds nothing to say about a live /metrics scrape', { skip }, async (t) => {
  const mock = await startMock(t)
  const { sidecar, url } = await startProxy(t, mock, { ADMIN_PORT: String(await freePort()) })
  const app = client(t)
  await call(app, `${url}/connection/v1/testauthentication`)
  await call(app, `${url}/__mock/status/503`)
  await call(app, `${url}/x`, { method: 'TRACE' as 'GET' })
  const scrape = await call(app, `${sidecar.adminUrl as string}/metrics`)
  t.equal(scrape.status, 200)
  const checked = await exec(promtool as string, ['check', 'metrics'], scrape.text)
  t.equal(checked.code, 0, `promtool: ${checked.stdout}${checked.stderr}`)
  t.equal(`${checked.stdout}${checked.stderr}`.trim(), '', 'no lint finding')

  const broken = await exec(promtool as string, ['check', 'metrics'], 'trulioo_sidecar_bad{a="1" 1\n')
  t.not(broken.code, 0, 'promtool does refuse a broken exposition')
})
