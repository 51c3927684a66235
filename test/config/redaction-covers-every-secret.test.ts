import t from 'tap'
import { CONFIG_VARIABLES, type Config, HEADER_SECRETS, RELOADED_SECRETS, SECRET_VARIABLES, URLS_WITH_CREDENTIALS } from '../../src/config/schema.js'
import { watchedPaths } from '../../src/identity/watched-paths.js'
import { createLogger, REDACT_PATHS } from '../../src/logger.js'

// The secrets are listed once (schema.ts); reload, watching, the header check
// and log redaction all follow that list, so none of them can drift again.

t.test('the secret list is exactly the settings the schema gives a _FILE twin', async (t) => {
  const withFile = CONFIG_VARIABLES.filter((name) => CONFIG_VARIABLES.includes(`${name}_FILE` as keyof Config))
  t.same([...SECRET_VARIABLES].sort(), [...withFile].sort())
})

t.test('the redaction list covers every secret variable, on the line and one level down', async (t) => {
  for (const name of SECRET_VARIABLES) {
    t.ok(REDACT_PATHS.includes(name), `${name} is redacted`)
    t.ok(REDACT_PATHS.includes(`*.${name}`), `*.${name} is redacted`)
  }
})

t.test('a line logged with every secret, at the top and nested, holds none of them', async (t) => {
  const lines: string[] = []
  const logger = createLogger('info', { write: (line: string) => { lines.push(line) } })
  const values = Object.fromEntries(SECRET_VARIABLES.map((name) => [name, `value-of-${name}-Zq9`]))
  logger.info({ ...values, config: { ...values } }, 'logged by mistake')
  logger.flush()
  t.equal(lines.length, 1)
  const line = JSON.parse(lines[0] as string) as Record<string, unknown> & { config: Record<string, unknown> }
  for (const name of SECRET_VARIABLES) {
    t.notOk((lines[0] as string).includes(values[name] as string), `${name}'s value is not on the line`)
    t.equal(line[name], '[redacted]')
    t.equal(line.config[name], '[redacted]')
  }
})

t.test('a URL setting that may carry a password is redacted like a secret, on the line and nested', async (t) => {
  const lines: string[] = []
  const logger = createLogger('info', { write: (line: string) => { lines.push(line) } })
  const values = Object.fromEntries(URLS_WITH_CREDENTIALS.map((name) => [name, `redis://user:pw-of-${name}-Zq9@127.0.0.1:6379`]))
  logger.info({ ...values, config: { ...values } }, 'logged by mistake')
  logger.flush()
  t.equal(lines.length, 1)
  for (const name of URLS_WITH_CREDENTIALS) {
    t.ok(CONFIG_VARIABLES.includes(name), `${name} is a setting`)
    t.notOk((lines[0] as string).includes(`pw-of-${name}`), `${name}'s password is not on the line`)
  }
})

t.test('reload, watching and the header check take their secrets from the same list', async (t) => {
  t.ok(HEADER_SECRETS.every((name) => SECRET_VARIABLES.includes(name)))
  t.ok(RELOADED_SECRETS.every((name) => SECRET_VARIABLES.includes(name)))
  t.notOk(RELOADED_SECRETS.includes('PROXY_AUTH_TOKEN' as never), 'the applications hold PROXY_AUTH_TOKEN too: not reloaded')
  t.notOk(HEADER_SECRETS.includes('TLS_PASSPHRASE' as never), 'the passphrase never travels in a header')
  const config = Object.fromEntries(SECRET_VARIABLES.map((name) => [`${name}_FILE`, `/run/secrets/${name}`])) as unknown as Config
  const watched = watchedPaths(config)
  for (const name of SECRET_VARIABLES) {
    t.equal(watched.includes(`/run/secrets/${name}`), RELOADED_SECRETS.includes(name), `${name}_FILE is watched exactly when it is reloaded`)
  }
})
