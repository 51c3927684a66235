import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { renderStartupErrorTable } from '../../src/config/config-docs.js'
import { exitOnStartupError } from '../../src/cli/fail.js'
import { ConfigError, ConfigErrors, EXIT_CONFIG, REQUEST_ERRORS, STARTUP_ERRORS, type StartupErrorSpec } from '../../src/errors.js'
import { ROOT } from '../helpers/root.js'

// As fastify's test/internals/errors.test.js does for its codes: the codes
// thrown, the registry and the table in docs/errors.md are kept in step.

function sources (dir: string): Array<{ path: string, text: string }> {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .map((path) => ({ path, text: readFileSync(path, 'utf8') }))
}

const src = sources(join(ROOT, 'src'))
const readme = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8')

t.test('every start-up code is well formed, documented and distinct from the request codes', async (t) => {
  for (const [code, spec] of Object.entries(STARTUP_ERRORS) as Array<[string, StartupErrorSpec]>) {
    t.match(code, /^[A-Z][A-Z0-9_]+$/, `${code} is an upper-case constant`)
    t.ok(spec.summary.length > 20, `${code} says when it happens`)
    t.match(spec.fix, /[.)`]$/, `${code} has a how-to-fix sentence`)
    t.notOk(code in REQUEST_ERRORS, `${code} is not also a request error code`)
    t.equal(readme.split(`| \`${code}\` |`).length, 2, `${code} is in docs/errors.md once`)
  }
  t.ok(readme.includes(renderStartupErrorTable()), 'docs/errors.md holds the table the registry renders (`npm run docs`)')
})

t.test('every start-up code is thrown (or warned) somewhere, and every code thrown is registered', async (t) => {
  const used = new Set<string>(['CONFIG_INVALID']) // ConfigError's default code
  for (const { text } of src) for (const m of text.matchAll(/code: '([A-Z][A-Z0-9_]+)'/g)) used.add(m[1] as string)
  for (const code of Object.keys(STARTUP_ERRORS)) t.ok(used.has(code), `${code} is used in src/`)

  for (const { path, text } of src) {
    for (const m of text.matchAll(/new ConfigError\([^\n]*\{[^\n]*code: '([A-Z0-9_]+)'/g)) {
      t.ok((m[1] as string) in STARTUP_ERRORS, `${m[1] as string} (${path.slice(ROOT.length + 1)}) is registered`)
    }
  }
})

t.test('a coded start-up error keeps the one-line output and exit 78', async (t) => {
  const plain = new ConfigError('LISTEN_PORT', 'must be <= 65535')
  t.equal(plain.code, 'CONFIG_INVALID', 'a setting problem is CONFIG_INVALID unless said')
  const coded = new ConfigError('TLS_KEY_FILE', 'cannot read /k.pem: no such file', { code: 'FILE_UNREADABLE' })
  t.equal(coded.code, 'FILE_UNREADABLE')
  t.equal(coded.toLine(), 'TLS_KEY_FILE: cannot read /k.pem: no such file')

  for (const [err, line] of [
    [coded, 'trulioo-mtls-sidecar: configuration error: TLS_KEY_FILE: cannot read /k.pem: no such file\n'],
    [new ConfigErrors([plain, coded]), 'trulioo-mtls-sidecar: configuration error: LISTEN_PORT: must be <= 65535; TLS_KEY_FILE: cannot read /k.pem: no such file\n']
  ] as const) {
    let written = ''
    const write = t.intercept(process.stderr, 'write', { value: (chunk: string) => { written += chunk; return true } })
    let code: number | undefined
    try {
      exitOnStartupError(err, ((c: number) => { code = c }) as (code: number) => never)
    } finally {
      write.restore()
    }
    t.equal(written, line)
    t.equal(code, EXIT_CONFIG)
  }
})

t.test('a listener that cannot open is LISTEN_FAILED, naming the setting at fault', async (t) => {
  const { listenError } = await import('../../src/sidecar.js')
  const inUse = listenError('LISTEN_PORT', '127.0.0.1', 8080, Object.assign(new Error('x'), { code: 'EADDRINUSE' }))
  t.equal(inUse.code, 'LISTEN_FAILED')
  t.equal(inUse.toLine(), 'LISTEN_PORT: 127.0.0.1:8080 is already in use')
  const notOurs = listenError('ADMIN_PORT', '192.0.2.1', 9090, Object.assign(new Error('x'), { code: 'EADDRNOTAVAIL' }))
  t.equal(notOurs.code, 'LISTEN_FAILED')
  t.equal(notOurs.subject, 'ADMIN_HOST')
})
