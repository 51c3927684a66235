import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { exitOnStartupError } from '../../src/cli/fail.js'
import { loadConfig } from '../../src/config/load-config.js'
import { EXIT_CONFIG } from '../../src/errors.js'
import { loadIdentity } from '../../src/identity/load-identity.js'
import { pki } from '../helpers/harness.js'
import { startupLine } from '../helpers/startup-line.js'
import { emptyCwd, runCli } from '../helpers/spawn-cli.js'

// A path may name anything. A FIFO with no writer would block open(2) and the
// event loop with it, /dev/zero and /dev/urandom never end, a directory is not
// a file and a huge file is not a certificate: every file the sidecar reads is
// checked with fstat first and refused with the one line and exit 78.

interface Kind { name: string, path: string, says: RegExp }

let made: Promise<Kind[]> | undefined
function kinds (): Promise<Kind[]> {
  made ??= makeKinds()
  return made
}

async function makeKinds (): Promise<Kind[]> {
  const p = await pki()
  const fifo = join(p.dir, 'a-fifo')
  execFileSync('mkfifo', [fifo])
  const directory = join(p.dir, 'a-directory')
  mkdirSync(directory)
  const oversized = join(p.dir, 'oversized.pem')
  // a real certificate first: only the size can be what is refused
  writeFileSync(oversized, p.client.certPem + 'x'.repeat(1024 * 1024))
  return [
    { name: 'a FIFO', path: fifo, says: /is a FIFO \(named pipe\), not a regular file/ },
    { name: '/dev/zero', path: '/dev/zero', says: /is a character device, not a regular file/ },
    { name: '/dev/urandom', path: '/dev/urandom', says: /is a character device, not a regular file/ },
    { name: 'a directory', path: directory, says: /is a directory, not a regular file/ },
    { name: 'a file over 1 MiB', path: oversized, says: /is larger than 1 MiB/ }
  ]
}


t.test('every file setting refuses a FIFO, a device, a directory and an oversized file', async (t) => {
  const p = await pki()
  const pem = { TLS_CERT_FILE: p.clientCertFile, TLS_KEY_FILE: p.clientKeyFile }
  // each file setting with what else it needs to be read at all
  const settings: Array<[string, (bad: string) => Record<string, string>]> = [
    ['TLS_CERT_FILE', (bad) => ({ ...pem, TLS_CERT_FILE: bad })],
    ['TLS_KEY_FILE', (bad) => ({ ...pem, TLS_KEY_FILE: bad })],
    ['TLS_PFX_FILE', (bad) => ({ TLS_PFX_FILE: bad })],
    ['TLS_CA_FILE', (bad) => ({ ...pem, TLS_CA_FILE: bad })],
    ['TLS_PASSPHRASE_FILE', (bad) => ({ ...pem, TLS_PASSPHRASE_FILE: bad })],
    ['TRULIOO_USERNAME_FILE', (bad) => ({ ...pem, TRULIOO_USERNAME_FILE: bad, TRULIOO_PASSWORD: 'pw' })],
    ['TRULIOO_PASSWORD_FILE', (bad) => ({ ...pem, TRULIOO_PASSWORD_FILE: bad, TRULIOO_USERNAME: 'user' })],
    ['PROXY_AUTH_TOKEN_FILE', (bad) => ({ ...pem, PROXY_AUTH_TOKEN_FILE: bad })]
  ]
  for (const kind of await kinds()) {
    for (const [variable, env] of settings) {
      const started = Date.now()
      const result = startupLine(env(kind.path))
      const label = `${variable} = ${kind.name}`
      if (result === undefined) {
        t.fail(`${label}: start-up did not fail`)
        continue
      }
      t.equal(result.code, EXIT_CONFIG, `${label}: exit 78`)
      t.equal(result.line.split('\n').filter((l) => l !== '').length, 1, `${label}: one line`)
      t.match(result.line, new RegExp(`configuration error: ${variable}: cannot read ${kind.path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `), `${label}: names the setting and the file`)
      t.match(result.line, kind.says, `${label}: ${result.line.trim()}`)
      t.ok(Date.now() - started < 1_000, `${label}: refused without reading it`)
    }
    // the .env file is read the same way
    const result = startupLine(pem, kind.path)
    t.match(result?.line, new RegExp(`configuration error: .*${kind.path.split('/').pop() ?? ''}: cannot read the .env file: `), `env file = ${kind.name}: names the file`)
    t.match(result?.line, kind.says, `env file = ${kind.name}: says what it is`)
    t.equal(result?.code, EXIT_CONFIG)
  }
})

t.test('the binary exits 78 at once for a FIFO, a device or a directory, with nothing read', async (t) => {
  const p = await pki()
  const [fifo, zero, , directory, oversized] = await kinds()
  const cwd = emptyCwd(t)
  const good = { TLS_CERT_FILE: p.clientCertFile, TLS_KEY_FILE: p.clientKeyFile, LISTEN_PORT: '0', ADMIN_PORT: '0', UPSTREAM_URL: 'https://127.0.0.1:9' }
  const rows: Array<{ name: string, args: string[], env: Record<string, string>, says: RegExp }> = [
    { name: 'TLS_CERT_FILE a FIFO', args: ['serve'], env: { ...good, TLS_CERT_FILE: fifo?.path as string }, says: /TLS_CERT_FILE: .*FIFO/ },
    { name: 'TRULIOO_PASSWORD_FILE /dev/zero', args: ['serve'], env: { ...good, TRULIOO_USERNAME: 'u', TRULIOO_PASSWORD_FILE: zero?.path as string }, says: /TRULIOO_PASSWORD_FILE: .*character device/ },
    { name: 'TLS_CA_FILE a directory', args: ['serve'], env: { ...good, TLS_CA_FILE: directory?.path as string }, says: /TLS_CA_FILE: .*directory/ },
    { name: 'TLS_KEY_FILE over 1 MiB', args: ['serve'], env: { ...good, TLS_KEY_FILE: oversized?.path as string }, says: /TLS_KEY_FILE: .*larger than 1 MiB/ },
    // `--env-file <path>` is not here: Node itself opens any `--env-file` in its
    // argv before the sidecar's code runs (see docs/configuration.md); ./.env is ours to read
    { name: './.env a FIFO', args: ['serve'], env: good, says: /\.env: cannot read the \.env file: is a FIFO/ }
  ]
  const fifoCwd = emptyCwd(t)
  execFileSync('mkfifo', [join(fifoCwd, '.env')])
  for (const row of rows) {
    const started = Date.now()
    // a blocked read would be killed by runCli after 15 s: code null, not 78
    const run = await runCli(row.args, row.env, row.name.startsWith('./.env') ? fifoCwd : cwd)
    t.equal(run.code, 78, `${row.name}: exit 78 (${run.stderr.trim()})`)
    t.match(run.stderr, row.says, `${row.name}: the one line says what is wrong`)
    t.ok(Date.now() - started < 8_000, `${row.name}: promptly (${Date.now() - started} ms, a start of node included)`)
  }
})
