import t from 'tap'
import { SERVE_EXIT_CODES } from '../../src/cli/exit-codes.js'
import { CONFIG_VARIABLES, ConfigSchema } from '../../src/config/schema.js'
import { variableGroups } from '../../src/config/variable-groups.js'
import { memoryIo, runCli } from '../helpers/cli.js'
import { emptyCwd, runCli as spawnCli } from '../helpers/spawn-cli.js'

// `serve --help` lists every setting of the schema, by group, with its
// default, and the exit codes: generated, so it cannot drift from the schema.
const properties = ConfigSchema.properties as Record<string, { default?: unknown }>

t.test('every variable is in exactly one group', async (t) => {
  const grouped = variableGroups().flatMap((g) => g.variables)
  t.same([...grouped].sort(), [...CONFIG_VARIABLES].sort())
  t.equal(new Set(grouped).size, grouped.length)
  const group = (name: string): string | undefined => variableGroups().find((g) => g.variables.includes(name))?.title
  t.match(group('TLS_CERT_FILE'), /Client identity/)
  t.match(group('TLS_CA_FILE'), /Upstream/, 'trusting the upstream is not our identity')
  t.match(group('TRULIOO_PASSWORD_FILE'), /credentials/)
  t.match(group('ADMIN_PORT'), /Listeners/)
})

t.test('serve --help: each variable under its group heading, with its default; the exit codes', async (t) => {
  const io = await runCli(memoryIo(), ['serve', '--help'])
  t.equal(io.exitCode, 0)
  const help = io.out()
  t.match(help, /--config-file <path>/)
  let at = help.indexOf('Settings come from the environment')
  t.ok(at > 0, 'after the options')
  for (const group of variableGroups()) {
    const heading = help.indexOf(`\n${group.title}:\n`, at)
    t.ok(heading > at, `${group.title} in order`)
    at = heading
    for (const name of group.variables) {
      const fallback = properties[name]?.default
      const line = `\n  ${name}${fallback === undefined ? '' : `=${String(fallback)}`}\n`
      const found = help.indexOf(line, at)
      t.ok(found > at, `${name} under ${group.title}`)
      at = found
    }
  }
  const codes = help.slice(help.indexOf('Exit codes:'))
  for (const [code, meaning] of SERVE_EXIT_CODES) t.match(codes, `  ${String(code).padEnd(3)} ${meaning}`)
  t.match(codes, /^ {2}64 +usage error/m)
  t.match(codes, /^ {2}78 +configuration error/m)
})

t.test('the real binary prints the same, for `serve --help` and `help serve`', async (t) => {
  const inProcess = (await runCli(memoryIo(), ['serve', '--help'])).out()
  const cwd = emptyCwd(t)
  for (const args of [['serve', '--help'], ['help', 'serve']]) {
    const run = await spawnCli(args, {}, cwd)
    t.equal(run.code, 0)
    t.equal(run.stdout, inProcess, args.join(' '))
  }
})
