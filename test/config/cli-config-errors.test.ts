import { once } from 'node:events'
import { chmodSync, mkdirSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { encryptKey, PASSPHRASE, PASSWORD, pki } from '../helpers/harness.js'
import { toPkcs12 } from '../helpers/pkcs12.js'
import { emptyCwd, runCli } from '../helpers/spawn-cli.js'

// Every bad setting stops the real binary with one line naming the variable
// or file, exit 78 (EX_CONFIG), no stack trace, and never the secret itself.
// (More settings are checked in process by config-error-lines.test.ts: each
// spawn here loads the whole program.)
interface Row {
  name: string
  env: Record<string, string>
  /** what the one line must name */
  names: RegExp
  /** secret values that must not appear anywhere in the output */
  secrets?: string[]
}

t.test('bad settings exit 78 with one clear line', async (t) => {
  const p = await pki()
  const cwd = emptyCwd(t)
  const good = { TLS_CERT_FILE: p.clientCertFile, TLS_KEY_FILE: p.clientKeyFile, LISTEN_PORT: '0', ADMIN_PORT: '0', UPSTREAM_URL: 'https://127.0.0.1:9' }
  const other = await p.issueClient({ commonName: 'other.example' })
  const expired = await p.issueClient({ commonName: 'expired.example', notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) })
  const wrongPassphrase = 'wrong-Passphrase-Vq2'
  const directory = join(p.dir, 'a-directory.pem')
  mkdirSync(directory, { recursive: true })

  const busy = net.createServer().listen(0, '127.0.0.1')
  await once(busy, 'listening')
  t.teardown(() => { busy.close() })
  const busyPort = (busy.address() as net.AddressInfo).port

  const rows: Row[] = [
    { name: 'port already in use', env: { ...good, LISTEN_PORT: String(busyPort) }, names: new RegExp(`LISTEN_PORT: 127\\.0\\.0\\.1:${busyPort} is already in use`) },
    { name: 'bad port', env: { ...good, LISTEN_PORT: 'eighty' }, names: /LISTEN_PORT/ },
    { name: 'http upstream URL', env: { ...good, UPSTREAM_URL: 'http://127.0.0.1:9' }, names: /UPSTREAM_URL.*https/ },
    { name: 'missing cert file', env: { ...good, TLS_CERT_FILE: join(p.dir, 'nope.pem') }, names: /TLS_CERT_FILE.*nope\.pem.*no such file/ },
    { name: 'unreadable cert file (a directory)', env: { ...good, TLS_CERT_FILE: directory }, names: /TLS_CERT_FILE.*a-directory\.pem/ },
    { name: 'missing key file', env: { ...good, TLS_KEY_FILE: join(p.dir, 'nope.key') }, names: /TLS_KEY_FILE.*nope\.key/ },
    { name: 'key does not match the certificate', env: { ...good, TLS_KEY_FILE: p.write('other.key', other.keyPem) }, names: /TLS_KEY_FILE.*does not match/ },
    {
      name: 'wrong passphrase (encrypted key)',
      env: { ...good, TLS_KEY_FILE: p.write('enc.key', encryptKey(p.client.keyPem, PASSPHRASE)), TLS_PASSPHRASE: wrongPassphrase },
      names: /TLS_PASSPHRASE/,
      secrets: [wrongPassphrase, PASSPHRASE]
    },
    {
      name: 'wrong passphrase (PKCS#12)',
      env: { ...good, TLS_CERT_FILE: '', TLS_KEY_FILE: '', TLS_PFX_FILE: p.write('c.p12', toPkcs12(p.client.keyPem, p.client.certPem, PASSPHRASE)), TLS_PASSPHRASE: wrongPassphrase },
      names: /TLS_PASSPHRASE/,
      secrets: [wrongPassphrase, PASSPHRASE]
    },
    {
      name: 'missing passphrase for an encrypted key',
      env: { ...good, TLS_KEY_FILE: p.write('enc2.key', encryptKey(p.client.keyPem, PASSPHRASE)) },
      names: /TLS_PASSPHRASE.*required/
    },
    { name: 'expired certificate', env: { ...good, TLS_CERT_FILE: p.write('expired.pem', expired.certPem), TLS_KEY_FILE: p.write('expired.key', expired.keyPem) }, names: /TLS_CERT_FILE.*expired/ },
    {
      name: 'X and X_FILE both',
      env: { ...good, TRULIOO_USERNAME: 'someone', TRULIOO_PASSWORD: PASSWORD, TRULIOO_PASSWORD_FILE: p.write('pw', `${PASSWORD}\n`) },
      names: /TRULIOO_PASSWORD.*TRULIOO_PASSWORD_FILE/,
      secrets: [PASSWORD]
    },
    { name: 'bad LOG_LEVEL', env: { ...good, LOG_LEVEL: 'loud' }, names: /LOG_LEVEL.*info/ },
  ]

  // root reads any file whatever its mode, so this row only means something for other users
  if (process.getuid?.() !== 0) {
    const locked = p.write('locked.pem', p.client.certPem)
    chmodSync(locked, 0o000)
    rows.push({ name: 'unreadable cert file (mode 000)', env: { ...good, TLS_CERT_FILE: locked }, names: /TLS_CERT_FILE.*locked\.pem.*permission denied/ })
  }

  // each spawn loads the whole program: run a few at once, assert in table order
  const runs = new Map<Row, ReturnType<typeof runCli>>()
  const queue = [...rows]
  const workers = Array.from({ length: 3 }, async () => {
    for (let row = queue.shift(); row !== undefined; row = queue.shift()) {
      const run = runCli(['serve'], row.env, cwd)
      runs.set(row, run)
      await run
    }
  })
  await Promise.all(workers)

  for (const row of rows) {
    t.test(row.name, async (t) => {
      const run = await (runs.get(row) as ReturnType<typeof runCli>)
      t.equal(run.code, 78, 'exit code 78')
      const lines = run.stderr.split('\n').filter((line) => line !== '')
      t.equal(lines.length, 1, `stderr is one line: ${JSON.stringify(run.stderr)}`)
      t.match(lines[0], /^trulioo-mtls-sidecar: configuration error: /)
      t.match(lines[0], row.names, 'names the variable or file and what is wrong')
      t.notMatch(run.stderr, /\n\s+at /, 'no stack trace')
      // stdout is the JSON log: empty, or (a listen failure) the lines logged before it
      const logLines = run.stdout.split('\n').filter((line) => line !== '')
      t.ok(logLines.every((line) => { try { JSON.parse(line); return true } catch { return false } }), 'stdout holds only JSON log lines')
      t.notMatch(run.stdout, /\\n\s+at /, 'no stack trace in the log either')
      for (const secret of row.secrets ?? []) {
        t.notOk(run.stderr.includes(secret) || run.stdout.includes(secret), 'the secret is not printed')
      }
    })
  }
})
