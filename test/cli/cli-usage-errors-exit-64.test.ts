import t from 'tap'
import { memoryIo, runCli } from '../helpers/cli.js'
import { emptyCwd, runCli as spawnCli } from '../helpers/spawn-cli.js'

// Every usage error exits 64 (EX_USAGE), as `csr` refusals do; help and
// version still exit 0. Commander's own errors (codes commander.*) are mapped.
const rows: Array<{ args: string[], says: RegExp }> = [
  { args: ['csr', '--no-such-flag'], says: /unknown option '--no-such-flag'/ },
  { args: ['--no-such-flag'], says: /unknown option '--no-such-flag'/ },
  { args: ['demo', '--port', 'eighty'], says: /argument 'eighty' is invalid\. must be a port number/ },
  { args: ['demo', '--port'], says: /option '-p, --port <port>' argument missing/ },
  { args: ['serve', '--config-file'], says: /option '--config-file <path>' argument missing/ },
  { args: ['serve', '--config-file', 'a', '--env-file', 'b'], says: /cannot be used with option '--config-file/ },
  { args: ['check', '--jsonn'], says: /unknown option '--jsonn'/ },
  // the demo's flags typed to serve: the answer names the setting that does it
  { args: ['serve', '--port', '8081'], says: /serve has no --port option: its port is the setting LISTEN_PORT \(LISTEN_PORT=8081 trulioo-mtls-sidecar serve/ },
  { args: ['serve', '-p'], says: /serve has no --port option: its port is the setting LISTEN_PORT/ },
  { args: ['--port', '8081'], says: /serve has no --port option/ },
  { args: ['serve', '--admin-port', '0'], says: /serve has no --admin-port option: its port is the setting ADMIN_PORT \(ADMIN_PORT=0 / }
]

for (const { args, says } of rows) {
  t.test(`${args.join(' ')}: exit 64`, async (t) => {
    const io = await runCli(memoryIo(), args)
    t.equal(io.exitCode, 64)
    t.match(io.err(), says)
  })
}

t.test('help and version exit 0', async (t) => {
  for (const args of [['--help'], ['serve', '--help'], ['help', 'check'], ['--version']]) {
    const io = await runCli(memoryIo(), args)
    t.equal(io.exitCode, 0, args.join(' '))
  }
})

t.test('the real binary exits 64 for an unknown option, 0 for --help', async (t) => {
  const cwd = emptyCwd(t)
  const bad = await spawnCli(['check', '--no-such-flag'], {}, cwd)
  t.equal(bad.code, 64)
  t.match(bad.stderr, /unknown option '--no-such-flag'/)
  const help = await spawnCli(['--help'], {}, cwd)
  t.equal(help.code, 0)
})
