import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { FORBIDDEN_CHARACTERS } from '../../src/csr/subject-rules.js'
import { memoryIo, runCli } from '../helpers/cli.js'
import { filesIn, outDir, SUBJECT_FLAGS } from '../helpers/csr.js'

/** SUBJECT_FLAGS with one flag's value replaced (or the flag removed when value is undefined). */
function withFlag (flag: string, value: string | undefined): string[] {
  const out: string[] = []
  for (let i = 0; i < SUBJECT_FLAGS.length; i += 2) {
    const name = SUBJECT_FLAGS[i] as string
    if (name !== flag) out.push(name, SUBJECT_FLAGS[i + 1] as string)
    else if (value !== undefined) out.push(name, value)
  }
  return out
}

const rows: Array<{ name: string, args: string[], message: RegExp }> = [
  { name: 'UK for a country', args: withFlag('--country', 'UK'), message: /--country: "UK" is not an ISO 3166-1 alpha-2 country code; did you mean GB\?/ },
  { name: 'an unassigned country code', args: withFlag('--country', 'XX'), message: /--country: "XX" is not an ISO 3166-1 alpha-2 country code \(for example CA, US, GB\)/ },
  { name: 'a country name', args: withFlag('--country', 'Canada'), message: /--country: "Canada" is not an ISO 3166-1 alpha-2/ },
  { name: 'a single-label common name', args: withFlag('--common-name', 'localhost'), message: /--common-name: "localhost" is not a fully qualified domain name/ },
  { name: 'an IP address as common name', args: withFlag('--common-name', '192.0.2.10'), message: /--common-name: "192\.0\.2\.10" is not a fully qualified domain name/ },
  { name: 'a label with an underscore', args: withFlag('--common-name', 'my_host.example.com'), message: /not a fully qualified domain name/ },
  { name: 'a wildcard common name', args: withFlag('--common-name', '*.acme.example'), message: /--common-name: "\*\.acme\.example" is a wildcard name/ },
  { name: 'a wildcard DNS name', args: [...SUBJECT_FLAGS, '--dns', 'ok.acme.example', '*.acme.example'], message: /--dns: "\*\.acme\.example" is a wildcard name/ },
  { name: 'a DNS name that is no FQDN', args: [...SUBJECT_FLAGS, '--dns', 'intranet'], message: /--dns: "intranet" is not a fully qualified domain name/ },
  { name: 'a missing field', args: withFlag('--state', undefined), message: /--state: is required/ },
  { name: 'a blank field', args: withFlag('--locality', '   '), message: /--locality: is required/ },
  { name: 'an organization over 64 characters', args: withFlag('--organization', 'A'.repeat(65)), message: /--organization: is 65 characters long; at most 64/ },
  ...FORBIDDEN_CHARACTERS.map((c) => ({
    name: `"${c}" in the organization`,
    args: withFlag('--organization', `Acme ${c} Sons`),
    message: new RegExp(`--organization: must not contain "${c.replace(/[\\^$*+?.()|[\]{}]/g, '\\$&')}": Trulioo does not accept`)
  })),
  { name: '"#" in the locality', args: withFlag('--locality', 'Suite #5'), message: /--locality: must not contain "#"/ },
  { name: '"@" in the common name', args: withFlag('--common-name', 'me@acme.example'), message: /--common-name: must not contain "@"/ }
]

for (const row of rows) {
  t.test(`csr refuses ${row.name} and writes nothing`, async (t) => {
    const dir = outDir(t)
    const io = await runCli(memoryIo(), ['csr', ...row.args, '--out-dir', dir])
    t.equal(io.exitCode, 64)
    t.match(io.err(), row.message)
    t.match(io.err(), /^trulioo-mtls-sidecar csr: /)
    t.equal(io.err().trim().split('\n').length, 1, 'one line')
    t.equal(io.out(), '')
    t.same(filesIn(dir), [], 'nothing written')
  })
}

t.test('csr refuses a short or unreadable passphrase file before writing', async (t) => {
  const dir = outDir(t)
  const short = join(outDir(t), 'short')
  writeFileSync(short, 'abc\n')
  const io = await runCli(memoryIo(), ['csr', ...SUBJECT_FLAGS, '--passphrase-file', short, '--out-dir', dir])
  t.equal(io.exitCode, 64)
  t.match(io.err(), /--passphrase-file: is shorter than 4 characters/)
  const missing = await runCli(memoryIo(), ['csr', ...SUBJECT_FLAGS, '--passphrase-file', join(dir, 'nope'), '--out-dir', dir])
  t.match(missing.err(), /--passphrase-file: cannot read .*nope: no such file/)
  t.same(filesIn(dir), [])
})

t.test('csr refuses an unknown key type (commander choices)', async (t) => {
  const dir = outDir(t)
  const io = await runCli(memoryIo(), ['csr', ...SUBJECT_FLAGS, '--key-type', 'dsa', '--out-dir', dir])
  t.not(io.exitCode, 0)
  t.match(io.err(), /--key-type <type>' argument 'dsa' is invalid/)
  t.same(filesIn(dir), [])
})

t.test('csr refuses one path for both the key and the CSR', async (t) => {
  const dir = outDir(t)
  const io = await runCli(memoryIo(), ['csr', ...SUBJECT_FLAGS, '--key-out', join(dir, 'same'), '--csr-out', join(dir, 'same')])
  t.equal(io.exitCode, 64)
  t.match(io.err(), /--key-out: the key and the CSR cannot be the same file/)
  t.same(filesIn(dir), [])
})
