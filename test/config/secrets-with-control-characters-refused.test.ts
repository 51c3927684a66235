import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { exitOnStartupError } from '../../src/cli/fail.js'
import { EXIT_CONFIG } from '../../src/errors.js'
import { loadIdentity } from '../../src/identity/load-identity.js'
import { pki } from '../helpers/harness.js'
import { startupLine } from '../helpers/startup-line.js'
import { emptyCwd, runCli } from '../helpers/spawn-cli.js'

// A secret that goes into a header and holds a control character (a CR LF
// left in a secret file, say) is refused at start-up with the one line and
// exit 78, naming the variable and never showing the value. Before, an API
// key file holding `KEY\r\nX-Injected: yes` started, said ready, and every
// api-key request was answered 500.


/** Each header secret, with what it needs beside it to start on its own. */
const VARIABLES: ReadonlyArray<[string, Record<string, string>]> = [
  ['TRULIOO_USERNAME', { TRULIOO_PASSWORD: 'pw-Lk2' }],
  ['TRULIOO_PASSWORD', { TRULIOO_USERNAME: 'someone' }],
  ['TRULIOO_API_KEY', {}],
  ['TRULIOO_CLIENT_ID', { TRULIOO_CLIENT_SECRET: 'cs-Pq7' }],
  ['TRULIOO_CLIENT_SECRET', { TRULIOO_CLIENT_ID: 'ci-Rt5' }],
  ['EGRESS_PROXY_AUTH', { HTTPS_PROXY: 'http://127.0.0.1:3128' }],
  ['PROXY_AUTH_TOKEN', {}]
]

/** The part of every secret below that must never be printed. */
const MARK = 'Sekr3t-Vq8'

function assertRefused (t: Test, name: string, env: Record<string, string>, subject: string, character: string, secrets: string[]): void {
  const result = startupLine(env)
  if (result === undefined) {
    t.fail(`${name}: start-up did not fail`)
    return
  }
  t.equal(result.code, EXIT_CONFIG, `${name}: exit 78`)
  const lines = result.line.split('\n').filter((l) => l !== '')
  t.equal(lines.length, 1, `${name}: one line`)
  t.equal(lines[0], `trulioo-mtls-sidecar: configuration error: ${subject}: holds ${subject.endsWith('PROXY') ? 'proxy credentials with ' : ''}a control character (${character}), which no header can carry${subject.endsWith('_FILE') ? ': look for a stray line break or a Windows line ending inside the file (one trailing newline is dropped)' : ''}`, `${name}: names ${subject} and the character`)
  for (const secret of secrets) t.notOk(result.line.includes(secret), `${name}: the value is not shown`)
}

t.test('every header secret, as VAR and as VAR_FILE, is refused with a CR LF inside', async (t) => {
  const p = await pki()
  const good = { TLS_CERT_FILE: p.clientCertFile, TLS_KEY_FILE: p.clientKeyFile }
  for (const [name, beside] of VARIABLES) {
    // EGRESS_PROXY_AUTH is user:password
    const clean = name === 'EGRESS_PROXY_AUTH' ? `proxy-user:${MARK}` : `${MARK}-${name}`
    t.equal(startupLine({ ...good, ...beside, [name]: clean }), undefined, `${name}: the clean value starts`)
    t.equal(startupLine({ ...good, ...beside, [`${name}_FILE`]: p.write(name, `${clean}\r\n`) }), undefined, `${name}_FILE: the clean value with its one trailing CR LF starts`)

    const injected = `${clean}\r\nX-Injected: yes`
    assertRefused(t, name, { ...good, ...beside, [name]: injected }, name, 'CR', [MARK, 'X-Injected'])
    assertRefused(t, `${name}_FILE`, { ...good, ...beside, [`${name}_FILE`]: p.write(name, `${injected}\n`) }, `${name}_FILE`, 'CR', [MARK, 'X-Injected'])
    // the one trailing newline is dropped, a second one is not
    assertRefused(t, `${name}_FILE with two trailing newlines`, { ...good, ...beside, [`${name}_FILE`]: p.write(name, `${clean}\n\n`) }, `${name}_FILE`, 'LF', [MARK])
  }
})

t.test('every control character is refused, and only those', async (t) => {
  const p = await pki()
  const good = { TLS_CERT_FILE: p.clientCertFile, TLS_KEY_FILE: p.clientKeyFile }
  const named: Record<number, string> = { 0x00: 'NUL', 0x09: 'TAB', 0x0a: 'LF', 0x0d: 'CR', 0x1b: 'ESC', 0x7f: 'DEL' }
  const controls = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f]
  for (const code of controls) {
    const character = named[code] ?? `0x${code.toString(16).padStart(2, '0').toUpperCase()}`
    const value = `${MARK}${String.fromCharCode(code)}tail`
    assertRefused(t, `TRULIOO_API_KEY with ${character}`, { ...good, TRULIOO_API_KEY: value }, 'TRULIOO_API_KEY', character, [MARK, 'tail'])
  }
  // printable ASCII, the space included, and characters beyond ASCII are a key's own business
  for (const value of [`${MARK} with spaces ~!@#$%^&*()`, `${MARK}-é-€-😀`, `${MARK}\u0080\u009f`]) {
    t.equal(startupLine({ ...good, TRULIOO_API_KEY: value }), undefined, `${JSON.stringify(value)} starts`)
  }
})

t.test('proxy credentials in HTTPS_PROXY or ALL_PROXY with a control character are refused', async (t) => {
  const p = await pki()
  const good = { TLS_CERT_FILE: p.clientCertFile, TLS_KEY_FILE: p.clientKeyFile }
  for (const variable of ['HTTPS_PROXY', 'ALL_PROXY']) {
    t.equal(startupLine({ ...good, [variable]: `http://user:${MARK}@127.0.0.1:3128` }), undefined, `${variable}: clean credentials start`)
    // percent-encoded, the CR LF survives the URL parser into Proxy-Authorization
    assertRefused(t, `${variable} with %0D%0A`, { ...good, [variable]: `http://user:${MARK}%0D%0AX-Injected:%20yes@127.0.0.1:3128` }, variable, 'CR', [MARK, 'X-Injected'])
    // raw, the URL parser would drop it silently and another password would be sent
    const raw = startupLine({ ...good, [variable]: `http://user:${MARK}\r\nmore@127.0.0.1:3128` })
    t.equal(raw?.code, EXIT_CONFIG, `${variable} raw CR LF: exit 78`)
    t.equal(raw?.line, `trulioo-mtls-sidecar: configuration error: ${variable}: holds a control character (CR): a URL cannot carry it\n`)
    t.notOk(raw?.line.includes(MARK), `${variable} raw CR LF: the credentials are not shown`)
  }
})

t.test('the binary refuses an API key file holding CR LF with exit 78 and one line, and never prints it', async (t) => {
  const p = await pki()
  const run = await runCli(['serve'], {
    TLS_CERT_FILE: p.clientCertFile,
    TLS_KEY_FILE: p.clientKeyFile,
    LISTEN_PORT: '0',
    ADMIN_PORT: '0',
    UPSTREAM_URL: 'https://127.0.0.1:9',
    TRULIOO_API_KEY_FILE: p.write('api-key', `${MARK}\r\nX-Injected: yes`)
  }, emptyCwd(t))
  t.equal(run.code, 78)
  t.match(run.stderr, /^trulioo-mtls-sidecar: configuration error: TRULIOO_API_KEY_FILE: holds a control character \(CR\)/)
  t.equal(run.stderr.split('\n').filter((l) => l !== '').length, 1, 'one line')
  t.notOk(run.stderr.includes(MARK) || run.stdout.includes(MARK), 'the key is printed nowhere')
  t.notOk(run.stderr.includes('X-Injected') || run.stdout.includes('X-Injected'))
})
