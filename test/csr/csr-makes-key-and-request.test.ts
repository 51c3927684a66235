import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { memoryIo, runCli } from '../helpers/cli.js'
import { filesIn, outDir, parseCsr, SUBJECT_FLAGS } from '../helpers/csr.js'

t.test('csr makes an RSA 2048 key (0600) and a CSR with the subject and SANs asked for', async (t) => {
  const dir = outDir(t)
  const io = await runCli(memoryIo(), ['csr', ...SUBJECT_FLAGS, '--dns', 'alt.acme.example', 'API.acme.example', '--out-dir', dir])
  t.equal(io.exitCode, 0, io.err())
  t.same(filesIn(dir), ['api.acme.example.csr', 'api.acme.example.key'])
  const keyFile = join(dir, 'api.acme.example.key')
  t.equal(statSync(keyFile).mode & 0o777, 0o600)
  const keyPem = readFileSync(keyFile, 'utf8')
  t.match(keyPem, /^-----BEGIN PRIVATE KEY-----/)
  const parsed = await parseCsr(readFileSync(join(dir, 'api.acme.example.csr'), 'utf8'), keyPem)
  t.ok(parsed.verified, 'the CSR signature verifies')
  t.ok(parsed.keyMatches, 'the key is the CSR\'s')
  t.same(parsed.subject, { C: 'CA', ST: 'British Columbia', L: 'Vancouver', O: 'Acme Widgets Inc', CN: 'api.acme.example' })
  t.same(parsed.dnsNames, ['api.acme.example', 'alt.acme.example'], 'the CN first, duplicates once')
  t.equal((parsed.csr.publicKey.algorithm as RsaHashedKeyAlgorithm).modulusLength, 2048)
  t.match(io.out(), /Upload .*api\.acme\.example\.csr in the Trulioo Customer Portal/)
  t.match(io.out(), /export TLS_KEY_FILE=.*api\.acme\.example\.key/)
  t.match(io.out(), /trulioo-mtls-sidecar check/)
})

t.test('csr --key-type ec with --passphrase-file encrypts a P-256 key with AES-256', async (t) => {
  const dir = outDir(t)
  const passFile = join(outDir(t), 'pass')
  writeFileSync(passFile, 'correct horse battery\n')
  const io = await runCli(memoryIo(), ['csr', ...SUBJECT_FLAGS, '--key-type', 'ec', '--passphrase-file', passFile,
    '--key-out', join(dir, 'keys', 'client.key'), '--csr-out', join(dir, 'client.csr')])
  t.equal(io.exitCode, 0, io.err())
  const keyFile = join(dir, 'keys', 'client.key')
  t.equal(statSync(keyFile).mode & 0o777, 0o600)
  const keyPem = readFileSync(keyFile, 'utf8')
  t.match(keyPem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/)
  const parsed = await parseCsr(readFileSync(join(dir, 'client.csr'), 'utf8'), keyPem, 'correct horse battery')
  t.ok(parsed.verified)
  t.ok(parsed.keyMatches)
  t.equal((parsed.csr.publicKey.algorithm as EcKeyAlgorithm).namedCurve, 'P-256')
  await t.rejects(parseCsr(readFileSync(join(dir, 'client.csr'), 'utf8'), keyPem, 'wrong passphrase'), 'the passphrase is needed')
  t.match(io.out(), /EC P-256, encrypted with AES-256, mode 0600/)
  t.match(io.out(), /TLS_PASSPHRASE_FILE/)
})

t.test('csr never overwrites without --force, and --force replaces with mode 0600', async (t) => {
  const dir = outDir(t)
  const keyFile = join(dir, 'api.acme.example.key')
  writeFileSync(keyFile, 'a key that already has a certificate', { mode: 0o644 })
  const refused = await runCli(memoryIo(), ['csr', ...SUBJECT_FLAGS, '--out-dir', dir])
  t.equal(refused.exitCode, 73)
  t.match(refused.err(), /--key-out: .*api\.acme\.example\.key already exists; nothing was written \(give --force/)
  t.equal(readFileSync(keyFile, 'utf8'), 'a key that already has a certificate')
  t.same(filesIn(dir), ['api.acme.example.key'], 'no CSR written either')

  writeFileSync(join(dir, 'only.csr'), 'old csr')
  const csrInWay = await runCli(memoryIo(), ['csr', ...SUBJECT_FLAGS, '--key-out', join(dir, 'new.key'), '--csr-out', join(dir, 'only.csr')])
  t.equal(csrInWay.exitCode, 73)
  t.match(csrInWay.err(), /--csr-out: .*only\.csr already exists/)
  t.notOk(filesIn(dir).includes('new.key'), 'the key is not written when the CSR cannot be')

  const forced = await runCli(memoryIo(), ['csr', ...SUBJECT_FLAGS, '--out-dir', dir, '--force'])
  t.equal(forced.exitCode, 0, forced.err())
  t.match(readFileSync(keyFile, 'utf8'), /BEGIN PRIVATE KEY/)
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'an older 0644 file is tightened')
})
