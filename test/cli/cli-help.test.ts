import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { buildProgram } from '../../src/cli/main.js'
import { memoryIo, runCli } from '../helpers/cli.js'
import { ROOT } from '../helpers/root.js'

// Each command's `--help` is compared with a committed text file
// (test/cli/help/<command>.txt, and program.txt for the top level), as
// fastify-cli compares its commands' help: a change to the help, wording,
// an option or a variable of `serve`, shows up as a diff of those files and
// has to be made on purpose. To accept a deliberate change, run this test
// once with UPDATE_HELP_TEXT=1 and review the diff of test/cli/help/.

const root = ROOT
const BIN = join(root, 'bin', 'trulioo-mtls-sidecar.js')
const HELP_DIR = join(root, 'test', 'cli', 'help')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
const commands = buildProgram(memoryIo()).commands
const update = process.env.UPDATE_HELP_TEXT === '1'

t.test('every command is registered, and each has its help text file', async (t) => {
  const names = commands.map((c) => c.name()).sort()
  t.same(names, ['check', 'csr', 'demo', 'demo-pki', 'healthcheck', 'mock', 'serve'])
  t.same(readdirSync(HELP_DIR).sort(), [...names, 'program'].map((n) => `${n}.txt`).sort(), 'one file per command and the program, no stale ones')
})

const cases: Array<{ file: string, args: string[] }> = [
  { file: 'program', args: ['--help'] },
  ...commands.map((c) => ({ file: c.name(), args: [c.name(), '--help'] }))
]

for (const { file, args } of cases) {
  t.test(`${args.join(' ')} prints test/cli/help/${file}.txt`, async (t) => {
    const io = await runCli(memoryIo(), args)
    t.equal(io.exitCode, 0)
    t.equal(io.err(), '')
    const path = join(HELP_DIR, `${file}.txt`)
    if (update) {
      writeFileSync(path, io.out())
      t.comment(`wrote ${path}`)
    }
    t.equal(io.out(), readFileSync(path, 'utf8'), 'exactly the committed text')
  })
}

t.test('--version prints the package version', async (t) => {
  const version = await runCli(memoryIo(), ['--version'])
  t.equal(version.out().trim(), pkg.version)
})

const built = existsSync(join(root, 'dist', 'cli', 'main.js'))
t.test('the real binary answers --version and prints the same help', { skip: built ? false : 'needs npm run build' }, async (t) => {
  const version = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' })
  t.equal(version.status, 0)
  t.equal(version.stdout.trim(), pkg.version)
  for (const file of ['program', 'check']) {
    const help = spawnSync(process.execPath, [BIN, ...(file === 'program' ? [] : [file]), '--help'], { encoding: 'utf8' })
    t.equal(help.status, 0)
    t.equal(help.stdout, readFileSync(join(HELP_DIR, `${file}.txt`), 'utf8'), `${file}: the committed text`)
  }
})

t.test('an unknown option is refused with the help hint', async (t) => {
  const io = await runCli(memoryIo(), ['csr', '--no-such-flag'])
  t.not(io.exitCode, 0)
  t.match(io.err(), /unknown option '--no-such-flag'/)
  t.match(io.err(), /Usage: trulioo-mtls-sidecar csr/)
})
