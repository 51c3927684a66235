import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { memoryIo, runCli } from '../helpers/cli.js'
import { filesIn, outDir, parseCsr } from '../helpers/csr.js'
import { BIN, ROOT } from '../helpers/root.js'


const PASSPHRASE = 'typed-Secret-9'

t.test('csr --interactive reads answers piped one per line, asking again after a refused one', async (t) => {
  const dir = outDir(t)
  const io = memoryIo()
  io.stdin.end(['UK', 'CA', 'British Columbia', 'Vancouver', 'Acme Widgets Inc', 'api.acme.example',
    'alt.acme.example other.acme.example', PASSPHRASE, PASSPHRASE, ''].join('\n'))
  await runCli(io, ['csr', '--interactive', '--out-dir', dir])
  t.equal(io.exitCode, 0, io.err())
  t.match(io.err(), /Country \(ISO 3166-1 two-letter code, e\.g\. CA\): /)
  t.match(io.err(), /✘ "UK" is not an ISO 3166-1 alpha-2 country code; did you mean GB\?; try again/)
  t.match(io.err(), /Passphrase to encrypt the private key with AES-256 \(Enter for none\): /)
  const keyPem = readFileSync(join(dir, 'api.acme.example.key'), 'utf8')
  t.match(keyPem, /ENCRYPTED PRIVATE KEY/)
  const parsed = await parseCsr(readFileSync(join(dir, 'api.acme.example.csr'), 'utf8'), keyPem, PASSPHRASE)
  t.ok(parsed.verified)
  t.ok(parsed.keyMatches)
  t.same(parsed.subject, { C: 'CA', ST: 'British Columbia', L: 'Vancouver', O: 'Acme Widgets Inc', CN: 'api.acme.example' })
  t.same(parsed.dnsNames, ['api.acme.example', 'alt.acme.example', 'other.acme.example'])
})

t.test('csr --interactive asks only what the flags left out, and input ending early writes nothing', async (t) => {
  const dir = outDir(t)
  const io = memoryIo()
  io.stdin.end('Vancouver\n')
  await runCli(io, ['csr', '--interactive', '--country', 'ca', '--state', 'BC', '--organization', 'Acme', '--common-name', 'api.acme.example', '--out-dir', dir])
  t.equal(io.exitCode, 64)
  t.notMatch(io.err(), /Country/)
  t.match(io.err(), /City or locality/)
  t.match(io.err(), /prompt: input ended before every question was answered; nothing was written/)
  t.same(filesIn(dir), [])
})

t.test('csr --interactive refuses a bad flag before asking anything', async (t) => {
  const io = memoryIo()
  io.stdin.end('')
  await runCli(io, ['csr', '--interactive', '--country', 'UK'])
  t.equal(io.exitCode, 64)
  t.notMatch(io.err(), /State or province/)
  t.match(io.err(), /did you mean GB/)
})

t.test('csr --interactive refuses a key file in the way before asking anything', async (t) => {
  const dir = outDir(t)
  writeFileSync(join(dir, 'api.acme.example.key'), 'precious')
  const io = memoryIo()
  io.stdin.end('')
  await runCli(io, ['csr', '--interactive', '--common-name', 'api.acme.example', '--out-dir', dir])
  t.equal(io.exitCode, 73)
  t.notMatch(io.err(), /Country/)
  t.match(io.err(), /already exists; nothing was written/)
  t.equal(readFileSync(join(dir, 'api.acme.example.key'), 'utf8'), 'precious')
})

/** util-linux `script` gives the real binary a pseudo-terminal, as a person at a keyboard would. */
const hasScript = spawnSync('script', ['--version']).status === 0
t.test('csr prompts on a real terminal and does not echo the passphrase', { skip: !hasScript || !existsSync(join(ROOT, 'dist', 'cli', 'main.js')) ? 'needs util-linux script and npm run build' : false }, async (t) => {
  const dir = outDir(t)
  const command = `${process.execPath} ${BIN} csr --out-dir ${dir}`
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'dumb' } })
  t.teardown(() => { if (child.exitCode === null) child.kill() })
  let seen = ''
  child.stdout.on('data', (chunk: Buffer) => { seen += chunk.toString('utf8') })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))

  /** Waits for `prompt` to appear after what was already answered, then types `answer` and Enter. */
  let from = 0
  async function answer (prompt: string, typed: string): Promise<void> {
    // woken by each chunk of output, not by a timer; the test's own timeout bounds it
    while (!seen.slice(from).includes(prompt)) {
      const more = await Promise.race([once(child.stdout, 'data').then(() => true), exited.then(() => false)])
      if (!more && !seen.slice(from).includes(prompt)) throw new Error(`no prompt "${prompt}" in ${JSON.stringify(seen)}`)
    }
    from = seen.indexOf(prompt, from) + prompt.length
    child.stdin.write(`${typed}\r`)
  }
  await answer('Country', 'CA')
  await answer('State or province', 'Ontario')
  await answer('City or locality', 'Toronto')
  await answer('Organization', 'Acme Widgets Inc')
  await answer('Common name', 'tty.acme.example')
  await answer('Extra DNS names', '')
  await answer('Passphrase to encrypt', PASSPHRASE)
  await answer('The same passphrase again', PASSPHRASE)
  t.equal(await exited, 0, seen)
  t.notMatch(seen, PASSPHRASE, 'the passphrase is never echoed')
  t.match(seen, /Toronto/, 'other answers are echoed as typed')
  t.match(seen, /Next steps:/)
  const keyFile = join(dir, 'tty.acme.example.key')
  t.equal(statSync(keyFile).mode & 0o777, 0o600)
  const parsed = await parseCsr(readFileSync(join(dir, 'tty.acme.example.csr'), 'utf8'), readFileSync(keyFile, 'utf8'), PASSPHRASE)
  t.ok(parsed.verified)
  t.ok(parsed.keyMatches)
  t.equal(parsed.subject.L, 'Toronto')
})
