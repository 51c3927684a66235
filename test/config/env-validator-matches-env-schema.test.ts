import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import envSchema from 'env-schema'
import t from 'tap'
import validate from '../../src/config/env-validator.js'
import { ENV_SCHEMA_AJV_OPTIONS, envValidatorSource } from '../../src/config/gen-env-validator.js'
import { loadConfig, schemaProblems } from '../../src/config/load-config.js'
import { freshSchema } from '../../src/config/schema.js'
import { ConfigErrors } from '../../src/errors.js'

// The configuration is validated by code generated at build time
// (gen-env-validator.ts), no longer by env-schema at start-up. env-schema
// stays the oracle: every row goes through both, and the parsed settings or
// the list of errors must be the same, down to each ajv error object.

type Env = Record<string, string>
type AjvErrors = Parameters<typeof schemaProblems>[0]
type Outcome = { ok: true, value: Record<string, unknown> } | { ok: false, errors: AjvErrors }

const IDENTITY: Env = { TLS_CERT_FILE: '/run/secrets/client.pem', TLS_KEY_FILE: '/run/secrets/client.key' }

/** Rows loadConfig hands to the schema as they are: integers in decimal digits, no empty values. */
const ROWS: Array<[string, Env]> = [
  ['the minimal valid environment: every default filled', IDENTITY],
  ['integers coerced from strings', { ...IDENTITY, LISTEN_PORT: '8081', ADMIN_PORT: '0', UPSTREAM_CONNECTIONS: '10000', CONNECT_TIMEOUT_MS: '1', UPSTREAM_TIMEOUT_MS: '2147483647', UPSTREAM_BODY_TIMEOUT_MS: '00060', UPSTREAM_QUEUE_TIMEOUT_MS: '5', CLIENT_BODY_TIMEOUT_MS: '30000', MAX_BODY_BYTES: '4294967296', CERT_EXPIRY_WARN_DAYS: '0', SHUTDOWN_GRACE_MS: '0' }],
  ['booleans coerced from true and false', { ...IDENTITY, CERT_WATCH: 'false', STARTUP_CHECK: 'true' }],
  ['strings kept as they are', { ...IDENTITY, UPSTREAM_URL: 'https://mtls.example', LISTEN_HOST: '::1', LISTEN_SOCKET: '/run/sidecar.sock', LISTEN_SOCKET_MODE: '0o640', TLS_SERVERNAME: 'api.example', LOG_LEVEL: 'silent', TRULIOO_USERNAME: 'user', TRULIOO_PASSWORD: 'p4ss' }],
  ['another log level', { ...IDENTITY, LOG_LEVEL: 'trace' }],
  ['integers out of range', { ...IDENTITY, LISTEN_PORT: '65536', ADMIN_PORT: '99999', UPSTREAM_CONNECTIONS: '0', MAX_BODY_BYTES: '4294967297', CERT_EXPIRY_WARN_DAYS: '3651', SHUTDOWN_GRACE_MS: '2147483648' }],
  ['a log level that is not one', { ...IDENTITY, LOG_LEVEL: 'verbose' }],
  ['a log level in capitals', { ...IDENTITY, LOG_LEVEL: 'INFO' }],
  ['booleans that are not true or false', { ...IDENTITY, CERT_WATCH: 'yes', STARTUP_CHECK: '1' }],
  ['a socket mode that is not octal', { ...IDENTITY, LISTEN_SOCKET_MODE: '0999' }],
  ['strings over their limit, counted in characters', { ...IDENTITY, TLS_SERVERNAME: '\u{1F600}'.repeat(254), TLS_PASSPHRASE: 'p'.repeat(4097) }],
  ['several errors at once', { ...IDENTITY, LISTEN_PORT: '70000', LOG_LEVEL: 'loud', CERT_WATCH: 'maybe', LISTEN_SOCKET_MODE: '777x', CONNECT_TIMEOUT_MS: '0' }]
]

/** Rows only the schema sees this way: loadConfig refuses or drops them before (checkIntegerSyntax, empty values, unknown names). */
const SCHEMA_ONLY_ROWS: Array<[string, Env]> = [
  ['unknown variables are dropped', { ...IDENTITY, PATH: '/usr/bin', NOT_A_SETTING: 'x', TLS_CERT_FIEL: '/c.pem' }],
  ['numbers that are not decimal digits', { LISTEN_PORT: '1.0', ADMIN_PORT: '1e3', UPSTREAM_CONNECTIONS: '-1', CONNECT_TIMEOUT_MS: '1.5', SHUTDOWN_GRACE_MS: 'abc', MAX_BODY_BYTES: '' }],
  ['empty strings', { UPSTREAM_URL: '', LOG_LEVEL: '', CERT_WATCH: '' }],
  ['253 characters outside the BMP are 253, not 506', { TLS_SERVERNAME: '\u{1F600}'.repeat(253) }]
]

function byEnvSchema (env: Env): Outcome {
  try {
    return { ok: true, value: envSchema({ schema: freshSchema(), data: { ...env }, env: false, dotenv: false }) }
  } catch (err) {
    const errors = (err as { errors?: AjvErrors }).errors
    if (!Array.isArray(errors)) throw err
    return { ok: false, errors }
  }
}

function byGenerated (env: Env): Outcome {
  const data: Record<string, unknown> = { ...env }
  return validate(data) ? { ok: true, value: data } : { ok: false, errors: validate.errors ?? [] }
}

t.test('the generated validator fills, coerces, prunes and refuses exactly as env-schema does', async (t) => {
  for (const [name, env] of [...ROWS, ...SCHEMA_ONLY_ROWS]) {
    const expected = byEnvSchema(env)
    t.strictSame(byGenerated(env), expected, name)
  }
  // the corpus covers both outcomes and coercion: a row that stopped testing anything would show here
  t.equal(byEnvSchema(IDENTITY).ok, true)
  t.equal((byEnvSchema(ROWS[1]![1]) as { value: Record<string, unknown> }).value.LISTEN_PORT, 8081)
  t.equal(byEnvSchema(ROWS.at(-1)![1]).ok, false)
})

t.test('loadConfig returns what env-schema parsed, or says what env-schema refused, line for line', async (t) => {
  for (const [name, env] of ROWS) {
    const expected = byEnvSchema(env)
    let got: Outcome | { ok: false, lines: string[] }
    try {
      got = { ok: true, value: { ...loadConfig({ env, envFile: false }) } }
    } catch (err) {
      if (!(err instanceof ConfigErrors)) throw err
      got = { ok: false, lines: err.problems.map((p) => p.toLine()) }
    }
    const want = expected.ok ? expected : { ok: false, lines: schemaProblems(expected.errors).map((p) => p.toLine()) }
    t.strictSame(got, want, name)
  }
})

t.test('the generator uses env-schema\'s Ajv options', async (t) => {
  // env-schema hands its own default instance to a customOptions function
  const instances: Ajv[] = []
  envSchema({ schema: { type: 'object' }, data: {}, env: false, ajv: { customOptions (ajv) { instances.push(ajv); return ajv } } })
  const ours = new Ajv(ENV_SCHEMA_AJV_OPTIONS)
  ours.validate({ type: 'object' }, {}) // as env-schema's did: the default meta-schema is set on first use
  t.equal(instances.length, 1)
  const { keywords, ...theirOptions } = instances[0]!.opts as unknown as { keywords?: Array<{ keyword: string }> }
  t.strictSame(theirOptions, ours.opts, 'every option, defaults included, is the same')
  t.strictSame(keywords?.map((k) => k.keyword), ['separator'], 'env-schema adds only its separator keyword')
  t.notMatch(JSON.stringify(freshSchema()), /"separator"/, 'which the schema does not use')
})

t.test('the validator the build wrote is the one the schema makes now', async (t) => {
  const written = readFileSync(new URL('../../src/config/env-validator.js', import.meta.url), 'utf8')
  t.equal(written, envValidatorSource(), 'env-validator.js is not stale')
})
