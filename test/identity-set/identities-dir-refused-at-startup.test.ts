import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { ConfigError, ConfigErrors } from '../../src/errors.js'
import { IdentityStore } from '../../src/identity/identity-store.js'
import { pki } from '../helpers/harness.js'

// What TLS_IDENTITIES_DIR may hold, row by row: each refusal is a start-up
// error with its code that names what is wrong; names starting with "." are
// kubelet's and ignored; setting the one identity too is refused.
const p = await pki()
const base = { TLS_CA_FILE: p.caFile, UPSTREAM_URL: 'https://127.0.0.1:1' }

function member (root: string, name: string, key = p.client.keyPem): void {
  mkdirSync(join(root, name))
  writeFileSync(join(root, name, 'tls.crt'), p.client.certPem)
  writeFileSync(join(root, name, 'tls.key'), key, { mode: 0o600 })
}

interface Row {
  name: string
  lay: (root: string) => void
  env?: Record<string, string>
  /** The error's code and what its line says, or undefined: starts with `members`. */
  refused?: { code: string, line: RegExp }
  members?: string[]
}

const rows: Row[] = [
  { name: 'one member', lay: (r) => { member(r, 'a') }, members: ['a'] },
  {
    name: 'kubelet names and other dot-names are ignored',
    lay: (r) => { member(r, 'a'); mkdirSync(join(r, '..2026_12_01')); symlinkSync(join(r, '..2026_12_01'), join(r, '..data')); writeFileSync(join(r, '.hidden'), 'x') },
    members: ['a']
  },
  { name: 'five members', lay: (r) => { for (const n of ['a', 'b', 'c', 'd', 'e']) member(r, n) }, members: ['a', 'b', 'c', 'd', 'e'] },
  { name: 'six members', lay: (r) => { for (const n of ['a', 'b', 'c', 'd', 'e', 'f']) member(r, n) }, refused: { code: 'IDENTITIES_DIR_INVALID', line: /^TLS_IDENTITIES_DIR: .* holds 6 member folders \(a, b, c, d, e, f\): at most 5/ } },
  { name: 'a file among the members', lay: (r) => { member(r, 'a'); writeFileSync(join(r, 'notes.txt'), 'x') }, refused: { code: 'IDENTITIES_DIR_INVALID', line: /notes\.txt is not a member folder/ } },
  { name: 'no member', lay: () => {}, refused: { code: 'IDENTITIES_DIR_INVALID', line: /holds no member folder/ } },
  { name: 'not a directory', lay: (r) => { rmSync(r, { recursive: true }); writeFileSync(r, 'x') }, refused: { code: 'IDENTITIES_DIR_INVALID', line: /^TLS_IDENTITIES_DIR: cannot read/ } },
  { name: 'every member broken', lay: (r) => { member(r, 'a', 'not a key'); mkdirSync(join(r, 'b')) }, refused: { code: 'NO_VALID_IDENTITY', line: /no member loads and is valid now \(a: TLS_IDENTITIES_DIR\/a: TLS_KEY_FILE: .*; b: TLS_IDENTITIES_DIR\/b: TLS_CERT_FILE: cannot read/ } },
  { name: 'one broken member among good ones', lay: (r) => { member(r, 'a'); member(r, 'b', 'not a key') }, members: ['a', 'b'] },
  { name: 'the one identity set too', lay: (r) => { member(r, 'a') }, env: { TLS_CERT_FILE: p.clientCertFile }, refused: { code: 'CONFIG_INVALID', line: /^TLS_CERT_FILE: set either TLS_IDENTITIES_DIR or the one identity/ } }
]

for (const row of rows) {
  t.test(row.name, async (t) => {
    const root = join(mkdtempSync(join(tmpdir(), 'ids-')), 'set')
    t.teardown(() => { rmSync(join(root, '..'), { recursive: true, force: true }) })
    mkdirSync(root)
    row.lay(root)
    const start = (): IdentityStore => new IdentityStore(loadConfig({ env: { ...base, TLS_IDENTITIES_DIR: root, ...row.env }, envFile: false }))
    if (row.refused === undefined) {
      const store = start()
      t.same(store.members.map((m) => m.source.name), row.members)
      t.ok(store.order().length > 0, 'a member serves')
      return
    }
    const err = (() => { try { start() } catch (e) { return e } })() as ConfigError | ConfigErrors
    const problem = err instanceof ConfigErrors ? err.problems[0] : err
    t.ok(problem instanceof ConfigError, String(err))
    t.equal(problem?.code, row.refused.code)
    t.match(problem?.toLine(), row.refused.line)
  })
}
