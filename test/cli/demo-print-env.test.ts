import { existsSync, readFileSync, statSync } from 'node:fs'
import { parseEnv } from 'node:util'
import t from 'tap'
import { request } from 'undici'
import { loadConfig } from '../../src/config/load-config.js'
import { freePort } from '../helpers/harness.js'
import { emptyCwd, runCli } from '../helpers/spawn-cli.js'
import { spawnSidecar } from '../helpers/spawn-sidecar.js'
import { socketClient } from '../helpers/socket-dir.js'

// `demo --print-env` prints, and demo.env holds, the settings that point
// `check` and `serve` at the running demo's mock: a newcomer copies one path,
// not seven files into seven variables. The values must work, not just parse.

const FILE_SETTINGS = ['TLS_CERT_FILE', 'TLS_KEY_FILE', 'TLS_PASSPHRASE_FILE', 'TLS_CA_FILE', 'TRULIOO_USERNAME_FILE',
  'TRULIOO_PASSWORD_FILE', 'TRULIOO_CLIENT_ID_FILE', 'TRULIOO_CLIENT_SECRET_FILE']

t.test('demo --print-env: every setting, files that exist, and check and serve work with them', async (t) => {
  const demoPort = await freePort()
  const demo = spawnSidecar(t, ['demo', '--print-env', '--port', String(demoPort), '--admin-port', '0'], { LOG_LEVEL: 'warn' })
  const banner = await demo.waitForLine(/^Settings for check and serve against this mock: /, 30_000)
  const named = /: (\S+demo\.env) /.exec(banner)?.[1]
  t.ok(named !== undefined && existsSync(named), 'the banner names demo.env, and it exists')
  const printed = demo.stdout.filter((line) => !line.startsWith('{')).join('\n') + '\n'
  t.equal(printed, readFileSync(named!, 'utf8'), '--print-env prints exactly the file')
  t.equal(statSync(named!).mode & 0o077, 0, 'the file is readable by its owner only')

  const env = parseEnv(printed) as Record<string, string>
  t.match(env.UPSTREAM_URL, /^https:\/\/127\.0\.0\.1:\d+$/)
  t.equal(env.TOKEN_URL, `${env.UPSTREAM_URL}/connect/token`)
  for (const name of FILE_SETTINGS) t.ok(env[name] !== undefined && existsSync(env[name]), `${name} names a file that exists`)
  t.equal(env.LISTEN_PORT, String(demoPort + 1), 'serve with the file listens beside the demo, not on its port')
  t.equal(env.ADMIN_PORT, '0', 'the demo has no admin listener, and neither does serve with the file')
  const socketLine = printed.split('\n').find((l) => l.includes('LISTEN_SOCKET='))
  t.ok(socketLine, 'the UNIX socket command is spelled out')
  t.notMatch(printed, /demo-password|demo-passphrase|demo-client-secret/, 'no secret value, only the paths of their files')

  // the config loader takes them as they are
  const config = loadConfig({ envFile: false, env })
  t.equal(config.UPSTREAM_URL, env.UPSTREAM_URL)

  // check, as the file says, against the running demo's mock
  const cwd = emptyCwd(t)
  const check = await runCli(['check', '--json', '--config-file', named!], {}, cwd, 30_000)
  t.equal(check.code, 0, check.code === 0 ? 'check passes against the demo\'s mock' : `${check.stdout.slice(-600)}${check.stderr}`)

  // serve on a UNIX socket with the same file, as its comment line says
  const socketPath = /LISTEN_SOCKET=(\S+)/.exec(socketLine ?? '')?.[1] ?? ''
  const serve = spawnSidecar(t, ['serve', '--config-file', named!], { LISTEN_SOCKET: socketPath, ADMIN_PORT: '0', LOG_LEVEL: 'info' })
  await serve.waitForLine(/proxy listening on/, 15_000)
  const res = await request('http://sidecar/connection/v1/testauthentication', { dispatcher: socketClient(t, socketPath) })
  t.equal(res.statusCode, 200)
  t.equal(await res.body.text(), '"Hello demo-user"', 'the mock answers through serve on the socket')
  serve.child.kill('SIGTERM')
  t.equal(await serve.exited, 0)
  demo.child.kill('SIGTERM')
  t.equal(await demo.exited, 0)
})
