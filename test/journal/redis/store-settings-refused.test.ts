import t from 'tap'
import { loadConfig } from '../../../src/config/load-config.js'
import { ConfigErrors, STARTUP_ERRORS } from '../../../src/errors.js'
import { baseEnv, pki, startMock } from '../../helpers/harness.js'

// Every way IDEMPOTENCY_STORE and its key can be wrong stops start-up with one
// line naming the setting, a registered code, and never the key or the password.
t.test('a shared store without a usable encryption key, or with a malformed URL, is refused at start-up', async (t) => {
  const mock = await startMock(t)
  const base = await baseEnv(mock)
  const p = await pki()
  const file = (name: string, text: string | Buffer): string => p.write(`store-settings-${name}`, text)
  const good = 'a'.repeat(64)
  const rows: Array<{ name: string, env: Record<string, string>, subject: string, code: keyof typeof STARTUP_ERRORS, message: RegExp }> = [
    { name: 'no key', env: { IDEMPOTENCY_STORE: 'redis://127.0.0.1:6379' }, subject: 'IDEMPOTENCY_ENCRYPTION_KEY', code: 'ENCRYPTION_KEY_INVALID', message: /required with a shared IDEMPOTENCY_STORE.*openssl rand -hex 32/ },
    { name: 'short key', env: { IDEMPOTENCY_STORE: 'redis://127.0.0.1', IDEMPOTENCY_ENCRYPTION_KEY_FILE: file('short', 'abcdef0123\n') }, subject: 'IDEMPOTENCY_ENCRYPTION_KEY_FILE', code: 'ENCRYPTION_KEY_INVALID', message: /64 hex characters \(32 bytes\); it holds 10/ },
    { name: 'long key', env: { IDEMPOTENCY_STORE: 'redis://127.0.0.1', IDEMPOTENCY_ENCRYPTION_KEY_FILE: file('long', `${good}00`) }, subject: 'IDEMPOTENCY_ENCRYPTION_KEY_FILE', code: 'ENCRYPTION_KEY_INVALID', message: /it holds 66/ },
    { name: 'not hex', env: { IDEMPOTENCY_STORE: 'redis://127.0.0.1', IDEMPOTENCY_ENCRYPTION_KEY_FILE: file('nothex', `${'z'.repeat(64)}\n`) }, subject: 'IDEMPOTENCY_ENCRYPTION_KEY_FILE', code: 'ENCRYPTION_KEY_INVALID', message: /not hex/ },
    { name: 'a second line', env: { IDEMPOTENCY_STORE: 'redis://127.0.0.1', IDEMPOTENCY_ENCRYPTION_KEY_FILE: file('twolines', `${good}\n${good}\n`) }, subject: 'IDEMPOTENCY_ENCRYPTION_KEY_FILE', code: 'ENCRYPTION_KEY_INVALID', message: /not hex/ },
    { name: 'raw bytes', env: { IDEMPOTENCY_STORE: 'redis://127.0.0.1', IDEMPOTENCY_ENCRYPTION_KEY_FILE: file('raw', Buffer.alloc(32, 0xab)) }, subject: 'IDEMPOTENCY_ENCRYPTION_KEY_FILE', code: 'ENCRYPTION_KEY_INVALID', message: /64 hex characters/ },
    { name: 'missing file', env: { IDEMPOTENCY_STORE: 'redis://127.0.0.1', IDEMPOTENCY_ENCRYPTION_KEY_FILE: `${p.dir}/no-such.key` }, subject: 'IDEMPOTENCY_ENCRYPTION_KEY_FILE', code: 'FILE_UNREADABLE', message: /cannot read/ },
    { name: 'a key with the memory store', env: { IDEMPOTENCY_ENCRYPTION_KEY: good }, subject: 'IDEMPOTENCY_STORE', code: 'CONFIG_INVALID', message: /applies only to a shared store/ },
    { name: 'another scheme', env: { IDEMPOTENCY_STORE: 'http://127.0.0.1:6379', IDEMPOTENCY_ENCRYPTION_KEY: good }, subject: 'IDEMPOTENCY_STORE', code: 'CONFIG_INVALID', message: /must be memory, redis:\/\/, rediss:\/\/ or unix:\/\// },
    { name: 'not a URL', env: { IDEMPOTENCY_STORE: 'redis-host:6379', IDEMPOTENCY_ENCRYPTION_KEY: good }, subject: 'IDEMPOTENCY_STORE', code: 'CONFIG_INVALID', message: /must be memory/ },
    { name: 'a path', env: { IDEMPOTENCY_STORE: 'redis://127.0.0.1:6379/journal', IDEMPOTENCY_ENCRYPTION_KEY: good }, subject: 'IDEMPOTENCY_STORE', code: 'CONFIG_INVALID', message: /database number/ },
    { name: 'two passwords', env: { IDEMPOTENCY_STORE: 'redis://:Pw-in-url-9@127.0.0.1', IDEMPOTENCY_STORE_PASSWORD: 'Pw-in-var-9', IDEMPOTENCY_ENCRYPTION_KEY: good }, subject: 'IDEMPOTENCY_STORE', code: 'CONFIG_INVALID', message: /keep one/ },
    { name: 'a CA file without TLS', env: { IDEMPOTENCY_STORE: 'redis://127.0.0.1', IDEMPOTENCY_STORE_CA_FILE: p.caFile, IDEMPOTENCY_ENCRYPTION_KEY: good }, subject: 'IDEMPOTENCY_STORE', code: 'CONFIG_INVALID', message: /rediss:\/\/ \(TLS\) only/ },
    { name: 'a unix URL without a path', env: { IDEMPOTENCY_STORE: 'unix://', IDEMPOTENCY_ENCRYPTION_KEY: good }, subject: 'IDEMPOTENCY_STORE', code: 'CONFIG_INVALID', message: /absolute path/ }
  ]
  for (const row of rows) {
    let caught: unknown
    try {
      loadConfig({ env: { ...base, ...row.env }, envFile: false })
    } catch (err) {
      caught = err
    }
    t.ok(caught instanceof ConfigErrors, `${row.name}: refused`)
    const problems = (caught as ConfigErrors).problems
    t.equal(problems.length, 1, `${row.name}: one line`)
    t.match(problems[0], { subject: row.subject, code: row.code, message: row.message }, row.name)
    const line = problems[0]?.toLine() ?? ''
    for (const secret of ['Pw-in-url-9', 'Pw-in-var-9', good, 'abcdef0123', 'z'.repeat(16)]) t.notMatch(line, secret, `${row.name}: the line holds no secret`)
  }
  t.ok(STARTUP_ERRORS.ENCRYPTION_KEY_INVALID.fix.includes('openssl rand -hex 32'), 'the fix says how to make one')
})

t.test('the accepted forms', async (t) => {
  const mock = await startMock(t)
  const base = await baseEnv(mock)
  const key = 'AbCdEf0123456789'.repeat(4)
  for (const store of ['memory', 'redis://127.0.0.1', 'redis://user:pw@[::1]:6380/3', 'rediss://redis.example:6380', 'unix:///run/redis/redis.sock']) {
    const env = store === 'memory' ? { IDEMPOTENCY_STORE: store } : { IDEMPOTENCY_STORE: store, IDEMPOTENCY_ENCRYPTION_KEY: key }
    t.doesNotThrow(() => loadConfig({ env: { ...base, ...env }, envFile: false }), store)
  }
})
