import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { buildProgram } from '../../src/cli/main.js'
import { memoryIo, runCli } from '../helpers/cli.js'
import { ROOT } from '../helpers/root.js'

const root = ROOT
const BIN = join(root, 'bin', 'trulioo-mtls-sidecar.js')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
const commands = buildProgram(memoryIo()).commands

t.test('every command is registered', async (t) => {
  t.same(commands.map((c) => c.name()).sort(), ['check', 'csr', 'demo', 'demo-pki', 'healthcheck', 'mock', 'serve'])
})

for (const command of commands) {
  t.test(`${command.name()} --help shows its description and every option`, async (t) => {
    const io = await runCli(memoryIo(), [command.name(), '--help'])
    t.equal(io.exitCode, 0)
    const help = io.out()
    t.ok(help.startsWith(command.helpInformation()), 'the help text is the command\'s own (plus any text after it)')
    const words = (text: string): string => text.replace(/\s+/g, ' ')
    t.ok(words(help).includes(words(command.description())), 'the description')
    t.ok(command.options.length > 0)
    for (const option of command.options.filter((o) => !o.hidden)) {
      t.match(help, option.flags, `option ${option.flags}`)
      t.ok(words(help).includes(words(option.description)), `description of ${option.flags}`)
    }
  })
}

t.test('--help lists every command with its description; --version prints the package version', async (t) => {
  const help = await runCli(memoryIo(), ['--help'])
  t.equal(help.exitCode, 0)
  for (const command of commands) t.match(help.out(), new RegExp(`^  ${command.name()} `, 'm'))
  const version = await runCli(memoryIo(), ['--version'])
  t.equal(version.out().trim(), pkg.version)
})

const built = existsSync(join(root, 'dist', 'cli', 'main.js'))
t.test('the real binary answers --version and check --help', { skip: built ? false : 'needs npm run build' }, async (t) => {
  const version = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' })
  t.equal(version.status, 0)
  t.equal(version.stdout.trim(), pkg.version)
  const help = spawnSync(process.execPath, [BIN, 'check', '--help'], { encoding: 'utf8' })
  t.equal(help.status, 0)
  t.match(help.stdout, /--json/)
  t.match(help.stdout, /Exit code 0 when every step passed/)
})

t.test('an unknown option is refused with the help hint', async (t) => {
  const io = await runCli(memoryIo(), ['csr', '--no-such-flag'])
  t.not(io.exitCode, 0)
  t.match(io.err(), /unknown option '--no-such-flag'/)
  t.match(io.err(), /Usage: trulioo-mtls-sidecar csr/)
})
