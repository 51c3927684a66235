import pino from 'pino'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { CONFIG_VARIABLES, ConfigSchema, MAX_TIMER_MS } from '../../src/config/schema.js'
import { ConfigErrors } from '../../src/errors.js'
import { startSidecar } from '../../src/sidecar.js'
import { freePort, pki } from '../helpers/harness.js'

// The edges of the configuration: numbers that are not numbers (1e309 is
// Infinity), timers past Node's 2^31 - 1 ms limit (they fire after 1 ms),
// names that cannot be names, strings of any length. Each is refused with one
// line that names the setting.

const schema = ConfigSchema.properties as Record<string, { type?: string, maximum?: number, maxLength?: number, default?: unknown }>
const INTEGERS = CONFIG_VARIABLES.filter((name) => schema[name]?.type === 'integer')
const STRINGS = CONFIG_VARIABLES.filter((name) => schema[name]?.type === 'string')

async function goodEnv (): Promise<Record<string, string>> {
  const p = await pki()
  return { TLS_CERT_FILE: p.clientCertFile, TLS_KEY_FILE: p.clientKeyFile }
}

function problemsOf (env: Record<string, string>): string[] {
  try {
    loadConfig({ env, envFile: false })
    return []
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err
    return err.problems.map((p) => p.toLine())
  }
}

t.test('every integer setting has a maximum, every *_MS one below 2^31 ms, every string a length limit', async (t) => {
  t.ok(INTEGERS.length >= 8, `the integer settings are found (${INTEGERS.join(', ')})`)
  for (const name of INTEGERS) {
    const maximum = schema[name]?.maximum
    t.ok(maximum !== undefined && Number.isSafeInteger(maximum), `${name} has a maximum (${String(maximum)})`)
    if (name.endsWith('_MS')) t.ok(maximum !== undefined && maximum <= MAX_TIMER_MS, `${name} is capped at Node's timer limit`)
  }
  for (const name of STRINGS) t.ok(schema[name]?.maxLength !== undefined, `${name} has a length limit`)
})

t.test('non-finite, absurd and oddly written numbers are refused for every integer setting', async (t) => {
  const good = await goodEnv()
  for (const name of INTEGERS) {
    for (const value of ['1e309', 'Infinity', '-Infinity', 'NaN', '1e3', '0x10', '1.5', '-1', '+5', ' 5', '99999999999999999999']) {
      const problems = problemsOf({ ...good, [name]: value })
      t.equal(problems.length, 1, `${name}=${JSON.stringify(value)}: one problem`)
      t.match(problems[0], new RegExp(`^${name}: `), `${name}=${JSON.stringify(value)}: names the setting (${problems[0] ?? 'accepted'})`)
    }
    const maximum = schema[name]?.maximum as number
    t.match(problemsOf({ ...good, [name]: String(maximum + 1) })[0], new RegExp(`^${name}: must be <= ${maximum}`), `${name}: one over the maximum is refused`)
    t.equal(loadConfig({ env: { ...good, [name]: String(maximum) }, envFile: false })[name], maximum, `${name}: the maximum itself is accepted`)
  }
  t.match(problemsOf({ ...good, SHUTDOWN_GRACE_MS: '1e309' })[0], /SHUTDOWN_GRACE_MS: must be a whole number written in decimal digits, such as 25000 \(got "1e309"\)/, 'says what would do')
  t.match(problemsOf({ ...good, SHUTDOWN_GRACE_MS: String(2 ** 31) })[0], /SHUTDOWN_GRACE_MS: must be <= 2147483647/, '2^31 ms is refused: Node would fire it after 1 ms')
  t.match(problemsOf({ ...good, UPSTREAM_TIMEOUT_MS: String(2 ** 31) })[0], /UPSTREAM_TIMEOUT_MS: must be <= 2147483647/)
  t.match(problemsOf({ ...good, CONNECT_TIMEOUT_MS: String(2 ** 31) })[0], /CONNECT_TIMEOUT_MS: must be <= 2147483647/)
})

t.test('TLS_SERVERNAME must be a valid host name', async (t) => {
  const good = await goodEnv()
  for (const value of ['bad name', 'a..b', 'under_score.example', '-lead.example', 'trail-.example', 'x'.repeat(64) + '.example', 'a.b.c.999', 'exa\u0000mple']) {
    t.match(problemsOf({ ...good, TLS_SERVERNAME: value })[0], /^TLS_SERVERNAME: /, `${JSON.stringify(value.slice(0, 30))} is refused`)
  }
  t.match(problemsOf({ ...good, TLS_SERVERNAME: `${'a'.repeat(60)}.`.repeat(5) + 'example' })[0], /^TLS_SERVERNAME: must NOT have more than 253 characters/)
  for (const value of ['localhost', 'mtls.primary.prod.trulioo.com', 'xn--bcher-kva.example', 'a-b.c1']) {
    t.equal(loadConfig({ env: { ...good, TLS_SERVERNAME: value }, envFile: false }).TLS_SERVERNAME, value, `${value} is accepted`)
  }
})

t.test('strings have a length limit', async (t) => {
  const good = await goodEnv()
  t.match(problemsOf({ ...good, UPSTREAM_URL: `https://${'a'.repeat(5000)}.example` })[0], /^UPSTREAM_URL: must NOT have more than 2048 characters/)
  t.match(problemsOf({ ...good, TLS_CA_FILE: `/${'d/'.repeat(3000)}ca.pem` })[0], /^TLS_CA_FILE: must NOT have more than 4096 characters/)
  const long = 'p'.repeat(5000)
  const problems = problemsOf({ ...good, TLS_PASSPHRASE: long })
  t.match(problems[0], /^TLS_PASSPHRASE: must NOT have more than 4096 characters/)
  t.notOk(problems.join('').includes('ppppp'), 'the secret is not echoed')
})

t.test('an error about LISTEN_HOST or ADMIN_HOST names LISTEN_HOST or ADMIN_HOST', async (t) => {
  const good = await goodEnv()
  for (const name of ['LISTEN_HOST', 'ADMIN_HOST']) {
    for (const value of ['bad_host!', 'exa mple', '[::1]', '999.1.1.1', 'h'.repeat(300)]) {
      t.match(problemsOf({ ...good, [name]: value })[0], new RegExp(`^${name}: `), `${name}=${JSON.stringify(value.slice(0, 20))} is refused by name`)
    }
  }
  // 192.0.2.1 (TEST-NET-1) is an address, well formed, but never one of this host's
  for (const [name, extra] of [['LISTEN_HOST', {}], ['ADMIN_HOST', { ADMIN_PORT: String(await freePort()) }]] as const) {
    const config = loadConfig({ env: { ...good, UPSTREAM_URL: 'https://127.0.0.1:9', LISTEN_PORT: '0', ADMIN_PORT: '0', ...extra, [name]: '192.0.2.1' }, envFile: false })
    const failed = await startSidecar({ logger: pino({ level: 'silent' }), config }).then(async (s) => { await s.close(); return undefined }, (err: Error & { toLine?: () => string }) => err)
    t.match(failed?.toLine?.(), new RegExp(`^${name}: 192\\.0\\.2\\.1:\\d+ is not an address of this host`), `binding to it names ${name}, not the port`)
  }
})
