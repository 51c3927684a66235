import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { emptyCwd, runCli } from '../helpers/spawn-cli.js'

// --config-file names a settings file; a missing one is the one-line
// configuration error and exit 78 (the implicit ./.env stays optional). The
// old name --env-file is also a flag of Node itself (nodejs/node#54232).
t.test('serve --config-file with a missing file: one line, exit 78', async (t) => {
  const cwd = emptyCwd(t)
  const missing = join(cwd, 'no-such.env')
  const run = await runCli(['serve', '--config-file', missing], {}, cwd)
  t.equal(run.code, 78)
  t.equal(run.stderr, `trulioo-mtls-sidecar: configuration error: --config-file: cannot read ${missing}: no such file\n`)
  t.equal(run.stdout, '')
})

t.test('check --config-file with a missing file: the configuration step fails, exit 78', async (t) => {
  const cwd = emptyCwd(t)
  const run = await runCli(['check', '--json', '--config-file', join(cwd, 'no-such.env')], {}, cwd)
  t.equal(run.code, 78)
  const report = JSON.parse(run.stdout) as { steps: Array<{ id: string, status: string, detail: string }> }
  t.match(report.steps[0], { status: 'fail', detail: /--config-file: cannot read .*no-such\.env: no such file/ })
})

t.test('--config-file and the old --env-file read an existing file', async (t) => {
  const cwd = emptyCwd(t)
  const file = join(cwd, 'settings.env')
  writeFileSync(file, 'UPSTREAM_URL=http://plain.example\n')
  for (const flag of ['--config-file', '--env-file']) {
    const run = await runCli(['check', '--json', flag, file], {}, cwd)
    t.equal(run.code, 78, flag)
    t.match(run.stdout, /UPSTREAM_URL: must use https/, `${flag}: the file's setting was read`)
  }
})

t.test('--env-file with a missing file: Node itself may answer before the sidecar runs', async (t) => {
  const cwd = emptyCwd(t)
  const missing = join(cwd, 'no-such.env')
  const run = await runCli(['serve', '--env-file', missing], {}, cwd)
  if (run.code === 9) {
    // Node 20 scans its whole command line for --env-file, after the script too
    t.match(run.stderr.trim(), new RegExp(`^\\S*node: ${missing}: not found$`), `Node ${process.version} intercepts --env-file: why the option is now --config-file`)
  } else {
    t.equal(run.code, 78, `Node ${process.version} leaves --env-file to the sidecar`)
    t.match(run.stderr, /--config-file: cannot read .*no-such\.env: no such file/)
  }
})
