import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, relative } from 'node:path'
import { Agent, type Dispatcher, getGlobalDispatcher } from 'undici'
import { loadConfig } from '../config/load-config.js'
import { demoMockOptions, writeDemoFiles } from '../mock/demo-files.js'
import { type MockUpstream, startMockUpstream } from '../mock/mock-upstream.js'
import { type DemoFlags, demoEnvFile, demoListeners, explainDemoError, mockSettings } from './demo-settings.js'
import { exitOnStartupError, PROGRAM } from './fail.js'
import { serve } from './serve-command.js'

export type DemoOptions = DemoFlags

/**
 * Everything on loopback, no Trulioo account needed: a throwaway PKI in a
 * temporary folder, the mock upstream demanding the client certificate and
 * demo credentials (Basic for NAPI v1, OAuth2 tokens from its own token
 * endpoint for NAPI v3), and the sidecar in front of it. Once the sidecar is
 * ready it makes one v1 call and one v3 call through it and shows both, then
 * tells the journal's story: a timed-out verify retried with the same key.
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
  const mock = await startMockUpstream(demoMockOptions(files))
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
    ...(sidecar.adminUrl === undefined ? [] : [`  curl -s ${sidecar.adminUrl}/transactions      # billable calls whose answer was lost or whose outcome is unknown`]),
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
  await showRetryStory(dispatcher, url, mock, sidecar.adminUrl)
  if (dispatcher !== getGlobalDispatcher()) await dispatcher.close()
}

/** How long the demo's verification takes, and how long its application waits for it. */
const SLOW_VERIFY_MS = 1_000
const APP_TIMEOUT_MS = 300

/**
 * The journal's story (docs/journal.md): an application gives up on a slow
 * verification and retries with the same Idempotency-Key; the retry gets the
 * first call's answer, marked replayed, and Trulioo (the mock) ran one
 * verification. /transactions lists the call whose answer the application lost.
 */
async function showRetryStory (dispatcher: Dispatcher, url: string, mock: MockUpstream, adminUrl: string | undefined): Promise<void> {
  const path = '/verifications/v1/verify'
  const key = `demo-${randomUUID()}`
  const say = (line: string): void => { process.stderr.write(`${line}\n`) }
  const verify = async (signal?: AbortSignal): Promise<Dispatcher.ResponseData> => await dispatcher.request({
    origin: url, path, method: 'POST', body: '{"CountryCode":"CA","DataFields":{"PersonInfo":{"FirstGivenName":"Demo"}}}', signal,
    headers: { 'content-type': 'application/json', 'idempotency-key': key }
  })
  say(`Idempotency-Key: the app calls POST ${path} with Idempotency-Key ${key}; the verification takes ${SLOW_VERIFY_MS / 1000} s`)
  mock.verifications.delayMs = SLOW_VERIFY_MS
  try {
    try {
      const first = await verify(AbortSignal.timeout(APP_TIMEOUT_MS))
      await first.body.dump()
      say(`  first call answered ${first.statusCode} (it was not meant to be that fast)`)
    } catch {
      say(`  the app gives up after ${APP_TIMEOUT_MS} ms; the sidecar sees the call through`)
    }
    const retry = await verify()
    const answer = await retry.body.json() as { TransactionID?: string, Record?: { TransactionRecordID?: string } }
    say(`  retry with the same key -> ${retry.statusCode}, Idempotent-Replayed: ${String(retry.headers['idempotent-replayed'] ?? 'no')}, TransactionID ${answer.TransactionID ?? '?'}, TransactionRecordID ${answer.Record?.TransactionRecordID ?? '?'}`)
    const runs = mock.verifications.runs.filter((run) => run.path === path).length
    say(`  the mock ran ${runs} verification${runs === 1 ? '' : 's'}`)
    if (adminUrl !== undefined) {
      // the admin listener is on TCP even when the proxy is on a socket
      const listing = await getGlobalDispatcher().request({ origin: adminUrl, path: '/transactions', method: 'GET' }).then(async (res) => await res.body.json() as { calls: Array<{ transactionId: string | null, outcome: string }> })
      for (const call of listing.calls) say(`  ${adminUrl}/transactions lists the call whose answer the app lost (${call.outcome}): TransactionID ${call.transactionId ?? '?'}`)
    }
  } catch (err) {
    say(`  failed: ${(err as Error).message}`)
  } finally {
    mock.verifications.delayMs = 0
  }
  say('')
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
