import t from 'tap'
import { memoryIo, runCli } from '../helpers/cli.js'
import { emptyCwd, runCli as spawnCli } from '../helpers/spawn-cli.js'

// A mistyped command is named as one, with the nearest command, and exits 64
// (EX_USAGE): `serve` being the default command, commander alone would hand
// `serv` to it and say "too many arguments for 'serve'".
const rows: Array<[typed: string, near: string]> = [['serv', 'serve'], ['chek', 'check'], ['healthchek', 'healthcheck'], ['dmeo', 'demo'], ['csrr', 'csr']]

for (const [typed, near] of rows) {
  t.test(`'${typed}' suggests '${near}' and exits 64`, async (t) => {
    const io = await runCli(memoryIo(), [typed])
    t.equal(io.exitCode, 64)
    t.match(io.err(), `unknown command '${typed}' (did you mean '${near}'?)`)
    t.notMatch(io.err(), /too many arguments/)
    t.equal(io.out(), '', 'nothing on stdout')
  })
}

t.test('a name near no command lists the commands', async (t) => {
  const io = await runCli(memoryIo(), ['xyzzy'])
  t.equal(io.exitCode, 64)
  t.match(io.err(), /unknown command 'xyzzy' \(commands: serve, demo, check/)
})

t.test('extra words after serve itself are too many arguments, still exit 64', async (t) => {
  const io = await runCli(memoryIo(), ['serve', 'now'])
  t.equal(io.exitCode, 64)
  t.match(io.err(), /too many arguments for 'serve': now/)
})

t.test('the real binary: the same line and exit 64', async (t) => {
  const run = await spawnCli(['serv'], {}, emptyCwd(t))
  t.equal(run.code, 64)
  t.equal(run.stderr.split('\n')[0], "error: unknown command 'serv' (did you mean 'serve'?)")
})
