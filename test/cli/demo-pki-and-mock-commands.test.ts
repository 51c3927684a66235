import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { demoPki } from '../../src/cli/demo-pki-command.js'
import { mock } from '../../src/cli/mock-command.js'
import { readSecretFile } from '../../src/config/load-config.js'
import { memoryIo, runCli } from '../helpers/cli.js'

// `demo-pki` writes what docker-compose mounts; `mock` serves from those files.

function tempDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'demo-pki-test-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

const FILES = ['ca.pem', 'client-id', 'client-secret', 'client.key', 'client.pem', 'passphrase', 'password', 'server.key', 'server.pem', 'username']

t.test('demo-pki: every file, readable by another uid (0644) unless --private', async (t) => {
  const out = tempDir(t)
  const io = await runCli(memoryIo(), ['demo-pki', '--out', out, '--server-name', 'mock-trulioo'])
  t.equal(io.exitCode ?? 0, 0)
  t.same(readdirSync(out).sort(), FILES)
  for (const f of FILES) t.equal(statSync(join(out, f)).mode & 0o777, 0o644, `${f} 0644`)
  t.equal(statSync(out).mode & 0o777, 0o755)
  t.match(io.out(), /server names mock-trulioo/)

  const priv = tempDir(t)
  await demoPki({ out: priv, serverName: [], private: true }, memoryIo())
  t.equal(statSync(join(priv, 'client.key')).mode & 0o777, 0o600, 'keys stay 0600 with --private')
  t.equal(statSync(join(priv, 'ca.pem')).mode & 0o777, 0o644)
})

t.test('mock: serves from the demo-pki files, demands the client certificate and the credentials', async (t) => {
  const dir = tempDir(t)
  await demoPki({ out: dir, serverName: ['localhost'] }, memoryIo())
  const printed = memoryIo()
  const upstream = await mock({
    host: '127.0.0.1', port: 0,
    certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key'), clientCaFile: join(dir, 'ca.pem'),
    usernameFile: join(dir, 'username'), passwordFile: join(dir, 'password')
  }, printed)
  t.teardown(() => upstream.close())
  t.match(printed.out(), `listening on https://127.0.0.1:${upstream.port}`)
  const file = (name: string): string => readSecretFile(join(dir, name))
  const ask = (withCert: boolean): Promise<{ status: number, body: string }> => new Promise((resolve, reject) => {
    const req = https.get(`https://localhost:${upstream.port}/connection/v1/testauthentication`, {
      ca: file('ca.pem'),
      ...(withCert ? { cert: file('client.pem'), key: file('client.key'), passphrase: file('passphrase') } : {}),
      auth: `${file('username')}:${file('password')}`,
      agent: false
    }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
  })
  const ok = await ask(true)
  t.equal(ok.status, 200)
  t.equal(JSON.parse(ok.body), 'Hello demo-user')
  await t.rejects(ask(false), 'no client certificate: the handshake fails')
})
