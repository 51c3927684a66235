import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, relative } from 'node:path'
import { Agent, type Dispatcher, getGlobalDispatcher } from 'undici'
import { loadConfig } from '../config/load-config.js'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, writeDemoFiles } from '../mock/demo-files.js'
import { startMockUpstream } from '../mock/mock-upstream.js'
import { type DemoFlags, demoEnvFile, demoListeners, explainDemoError, mockSettings } from './demo-settings.js'
import { exitOnStartupError, PROGRAM } from './fail.js'
import { serve } from './serve-command.js'

export type DemoOptions = DemoFlags

/**
 * Everything on loopback, no Trulioo account needed: a throwaway PKI in a
 * temporary folder, the mock upstream demanding the client certificate and
 * demo credentials (Basic for NAPI v1, OAuth2 tokens from its own token
 * endpoint for NAPI v3), and the sidecar in front of it. Once the sidecar is
 * ready it makes one v1 call and one v3 call through it and shows both.
 * Its listeners come from --port, --admin-port, --socket or LISTEN_PORT,
 * ADMIN_PORT, LISTEN_SOCKET (demo-settings.ts); it writes the settings that
 * point `check` and `serve` at its mock into demo.env and names the file.
 */
export async function demo (options: DemoOptions = {}): Promise<void> {
  const listeners = demoListeners(options)
  const dir = mkdtempSync(join(tmpdir(), 'trulioo-mtls-demo-'))
  const cleanup = (): void => { rmSync(dir, { recursive: true, force: true }) }
  process.once('exit', cleanup)
  const files = await writeDemoFiles(dir)
  const mock = await startMockUpstream({
    cert: files.server.certPem,
    key: files.server.keyPem,
    clientCa: files.ca.certPem,
    username: DEMO_USERNAME,
    password: DEMO_PASSWORD,
    clientId: DEMO_CLIENT_ID,
    clientSecret: DEMO_CLIENT_SECRET
  })
  const settings = mockSettings(files, mock.url)
  const listenerEnv = Object.fromEntries(Object.entries(listeners).map(([name, setting]) => [name, setting.value]))
  let config
  try {
    config = loadConfig({ envFile: false, env: { ...settings, ...listenerEnv, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' } })
  } catch (err) {
    await mock.close()
    return exitOnStartupError(explainDemoError(err, listeners))
  }
  const program = howThisWasRun()
  const envFile = demoEnvFile(dir, settings, config.LISTEN_PORT, config.ADMIN_PORT, program)
  writeFileSync(envFile.path, envFile.text, { mode: 0o600 })
  // before the sidecar's first log line, so the settings are one block on stdout
  if (options.printEnv === true) process.stdout.write(envFile.text)
  const sidecar = await serve({ config, explainStartupError: (err) => explainDemoError(err, listeners) })
  sidecar.proxy.server.once('close', () => { void mock.close() })
  const socketPath = config.LISTEN_SOCKET
  const url = socketPath === undefined ? sidecar.proxyUrl : 'http://sidecar'
  const curl = socketPath === undefined ? 'curl -s' : `curl -s --unix-socket ${socketPath}`
  process.stderr.write([
    '',
    `Demo running. Mock Trulioo upstream (mutual TLS): ${mock.url}`,
    `Sidecar: ${sidecar.proxyUrl}${sidecar.adminUrl === undefined ? '' : `, admin ${sidecar.adminUrl}`}`,
    `Throwaway certificates and secrets: ${dir} (deleted on exit)`,
    `Client certificate: ${readFileSync(files.clientCertFile, 'utf8').length} bytes, subject C=CA, O=Demo Corp, CN=demo-client.example.com`,
    '',
    'Paste these into another terminal (no certificate, no credentials):',
    `  ${curl} ${url}/connection/v1/testauthentication`,
    `  ${curl} -X POST ${url}/verifications/v1/verify -H 'content-type: application/json' -d '{"CountryCode":"CA"}'`,
    `  ${curl} ${url}/v3/connection/testauthentication      # NAPI v3: the sidecar adds a Bearer token`,
    '',
    `Settings for check and serve against this mock: ${envFile.path} (demo --print-env prints them)`,
    `  ${program} check --config-file ${envFile.path}`,
    `  ${program} serve --config-file ${envFile.path}      # ${envFile.listenPort === 0 ? 'on a free port: see its "proxy listening on" line' : `listens on 127.0.0.1:${envFile.listenPort}`}`,
    `  LISTEN_SOCKET=${envFile.socketPath} ADMIN_PORT=0 ${program} serve --config-file ${envFile.path}`,
    '',
    'Stop with Ctrl-C.',
    ''
  ].join('\n'))
  const dispatcher = socketPath === undefined ? getGlobalDispatcher() : new Agent({ connect: { socketPath } })
  await showCalls(dispatcher, url, () => sidecar.readiness.ready)
  if (dispatcher !== getGlobalDispatcher()) await dispatcher.close()
}

/** The command a newcomer types to run this program again: the installed name, or node and the script as it was given. */
function howThisWasRun (): string {
  const script = process.argv[1]
  if (script === undefined || basename(script) === PROGRAM) return PROGRAM
  return `node -- ${relative(process.cwd(), script)}`
}

/** One NAPI v1 call (Basic) and one NAPI v3 call (Bearer) through the same sidecar, as an application would make them. */
async function showCalls (dispatcher: Dispatcher, url: string, ready: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ready(); i++) await new Promise((resolve) => setTimeout(resolve, 50))
  for (const [what, path] of [['NAPI v1, Basic injected ', '/connection/v1/testauthentication'], ['NAPI v3, Bearer injected', '/v3/connection/testauthentication']] as const) {
    try {
      const res = await dispatcher.request({ origin: url, path, method: 'GET' })
      process.stderr.write(`${what}: GET ${path} -> ${res.statusCode} ${await res.body.text()}\n`)
    } catch (err) {
      process.stderr.write(`${what}: GET ${path} failed: ${(err as Error).message}\n`)
    }
  }
  process.stderr.write('\n')
}
