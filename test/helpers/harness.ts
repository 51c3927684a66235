import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { Writable } from 'node:stream'
import pino from 'pino'
import { Agent, request } from 'undici'
import { loadConfig } from '../../src/config/load-config.js'
import { createLogger } from '../../src/logger.js'
import { DEMO_PASSWORD, DEMO_USERNAME } from '../../src/mock/demo-files.js'
import { type MockUpstream, type MockUpstreamOptions, startMockUpstream } from '../../src/mock/mock-upstream.js'
import {
  type CertificateAuthority, encryptKey, type IssuedCertificate, type IssueOptions, issueCertificate
} from '../../src/mock/pki.js'
import { type Sidecar, type StartOptions, startSidecar } from '../../src/sidecar.js'
import { suitePki } from './pki-cache.js'

/** The slice of tap's Test these helpers need. */
export interface Teardown { teardown (fn: () => unknown): void }

export const USERNAME = DEMO_USERNAME
export const PASSWORD = DEMO_PASSWORD
export const PASSPHRASE = 'test-passphrase-Zq8'
/** OAuth2 client credentials the mock's token endpoint accepts (made up for tests). */
export const CLIENT_ID = 'test-client-7f3a'
export const CLIENT_SECRET = 'test-client-secret-Wq9vX2kP'
/** The variables that give a sidecar OAuth2 client credentials against `mock`'s token endpoint. */
export function oauthEnv (mock: MockUpstream, tokenMock: MockUpstream = mock): Record<string, string> {
  return { TRULIOO_CLIENT_ID: CLIENT_ID, TRULIOO_CLIENT_SECRET: CLIENT_SECRET, TOKEN_URL: `${tokenMock.url}/connect/token` }
}

export interface Pki {
  dir: string
  ca: CertificateAuthority
  server: IssuedCertificate
  client: IssuedCertificate
  caFile: string
  clientCertFile: string
  clientKeyFile: string
  issueClient (options?: Partial<IssueOptions>, from?: CertificateAuthority): Promise<IssuedCertificate>
  write (name: string, text: string | Buffer, mode?: number): string
}

let shared: Promise<Pki> | undefined

/** The suite's throwaway PKI (see pki-cache.ts), with a folder for this process's files, removed at exit. */
export function pki (): Promise<Pki> {
  shared ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-test-'))
    process.once('exit', () => { rmSync(dir, { recursive: true, force: true }) })
    const { ca, server, client } = await suitePki()
    let n = 0
    const write = (name: string, text: string | Buffer, mode = 0o600): string => {
      const path = join(dir, `${++n}-${name}`)
      writeFileSync(path, text, { mode })
      return path
    }
    return {
      dir,
      ca,
      server,
      client,
      caFile: write('ca.pem', ca.certPem, 0o644),
      clientCertFile: write('client.pem', client.certPem, 0o644),
      clientKeyFile: write('client.key', client.keyPem),
      issueClient: (options = {}, from = ca) => issueCertificate(from, { commonName: 'client.test.example', usage: 'client', ...options }),
      write
    }
  })()
  return shared
}

export { encryptKey }

export async function startMock (t: Teardown, options: Partial<MockUpstreamOptions> = {}): Promise<MockUpstream> {
  const p = await pki()
  const mock = await startMockUpstream({
    cert: p.server.certPem,
    key: p.server.keyPem,
    clientCa: p.ca.certPem,
    username: USERNAME,
    password: PASSWORD,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    ...options
  })
  t.teardown(() => mock.close())
  return mock
}

/** Collects pino lines in memory, parsed, as pino's own tests do. */
export class LogSink extends Writable {
  readonly raw: string[] = []
  override _write (chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line !== '') this.raw.push(line)
    done()
  }

  get lines (): Array<Record<string, unknown>> {
    return this.raw.map((line) => JSON.parse(line) as Record<string, unknown>)
  }

  get text (): string { return this.raw.join('\n') }
}

export interface Started {
  sidecar: Sidecar
  url: string
  logs: LogSink
}

/** The environment for a sidecar in front of `mock`, with the test PKI. */
export async function baseEnv (mock: MockUpstream): Promise<Record<string, string>> {
  const p = await pki()
  return {
    UPSTREAM_URL: mock.url,
    LISTEN_PORT: '0',
    ADMIN_PORT: '0',
    TLS_CERT_FILE: p.clientCertFile,
    TLS_KEY_FILE: p.clientKeyFile,
    TLS_CA_FILE: p.caFile,
    TRULIOO_USERNAME: USERNAME,
    TRULIOO_PASSWORD: PASSWORD,
    LOG_LEVEL: 'debug'
  }
}

/** Starts a sidecar in this process; `env` entries set to undefined are removed. */
export async function startProxy (t: Teardown, mock: MockUpstream, env: Record<string, string | undefined> = {}, options: Pick<StartOptions, 'now' | 'tokens' | 'clock'> = {}): Promise<Started> {
  const merged: Record<string, string | undefined> = { ...await baseEnv(mock), ...env }
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k]
  const logs = new LogSink()
  const config = loadConfig({ env: merged as NodeJS.ProcessEnv, envFile: false })
  const logger = createLogger(config.LOG_LEVEL, pino.multistream([{ stream: logs, level: 'trace' }]))
  const sidecar = await startSidecar({ logger, config, env: merged as NodeJS.ProcessEnv, envFile: false, ...options })
  t.teardown(() => sidecar.close())
  return { sidecar, url: sidecar.proxyUrl, logs }
}

/** A plain HTTP client, as an application would use: its own pool, closed at teardown. */
export function client (t: Teardown, connections = 256): Agent {
  const agent = new Agent({ connections, keepAliveTimeout: 1000 })
  t.teardown(() => agent.destroy())
  return agent
}

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: <T = any>() => T
}

export async function call (dispatcher: Agent, url: string, options: Partial<Parameters<typeof request>[1]> = {}): Promise<Answer> {
  const res = await request(url, { dispatcher, ...options } as Parameters<typeof request>[1])
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) }
}

/** A port free right now on 127.0.0.1 (for the admin listener, where 0 means "off"). */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Polls `what` until it holds or `ms` passes (bounded); returns its last answer. */
export async function waitFor (what: () => boolean | Promise<boolean>, ms = 8_000): Promise<boolean> {
  const until = Date.now() + ms
  while (!(await what()) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25))
  return await what()
}
