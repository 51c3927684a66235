import { join } from 'node:path'
import { ConfigError, ConfigErrors } from '../errors.js'
import type { DemoFiles } from '../mock/demo-files.js'

/**
 * What the demo reads, and what it hands on. The demo takes its listeners
 * from flags or from the same variables `serve` reads (a flag wins), and
 * nothing else but LOG_LEVEL: its upstream, identity and credentials are its
 * own throwaway ones. It writes those into a settings file, so that `check`,
 * `serve` and a UNIX-socket `serve` can be pointed at its mock without mapping
 * seven files to seven variables by hand.
 */

/** The environment variables the demo reads; everything else is its own. */
export const DEMO_READS = ['LISTEN_PORT', 'ADMIN_PORT', 'LISTEN_SOCKET', 'LOG_LEVEL'] as const

/** The demo's flag for each listener variable. */
const FLAG_OF: Readonly<Record<string, string>> = { LISTEN_PORT: '--port', ADMIN_PORT: '--admin-port', LISTEN_SOCKET: '--socket' }

export interface DemoFlags {
  port?: number
  adminPort?: number
  socket?: string
  printEnv?: boolean
  /** Show a certificate rotation with two members (demo-rotation.ts). */
  rotation?: boolean
}

/** One listener setting of the demo's sidecar and where it came from. */
export interface DemoListenerSetting {
  readonly value: string
  readonly from: 'flag' | 'environment'
}

/** LISTEN_PORT, ADMIN_PORT, LISTEN_SOCKET as given by flag or environment; absent ones take serve's defaults. */
export function demoListeners (flags: DemoFlags, env: NodeJS.ProcessEnv = process.env): Readonly<Record<string, DemoListenerSetting>> {
  const fromFlag: Record<string, string | undefined> = {
    LISTEN_PORT: flags.port === undefined ? undefined : String(flags.port),
    ADMIN_PORT: flags.adminPort === undefined ? undefined : String(flags.adminPort),
    LISTEN_SOCKET: flags.socket
  }
  const out: Record<string, DemoListenerSetting> = {}
  for (const name of Object.keys(FLAG_OF)) {
    const flag = fromFlag[name]
    const value = env[name]
    if (flag !== undefined) out[name] = { value: flag, from: 'flag' }
    // empty counts as unset, as it does for serve
    else if (value !== undefined && value !== '') out[name] = { value, from: 'environment' }
  }
  return out
}

/** The settings that point a sidecar at the demo's mock upstream, with the demo's identity and credentials. */
export function mockSettings (files: DemoFiles, mockUrl: string): Record<string, string> {
  return {
    UPSTREAM_URL: mockUrl,
    TLS_CERT_FILE: files.clientCertFile,
    TLS_KEY_FILE: files.clientKeyFile,
    TLS_PASSPHRASE_FILE: files.passphraseFile,
    TLS_CA_FILE: files.caFile,
    TRULIOO_USERNAME_FILE: files.usernameFile,
    TRULIOO_PASSWORD_FILE: files.passwordFile,
    TRULIOO_CLIENT_ID_FILE: files.clientIdFile,
    TRULIOO_CLIENT_SECRET_FILE: files.clientSecretFile,
    // the mock is its own token endpoint; with Trulioo it is auth-api.trulioo.com
    TOKEN_URL: `${mockUrl}/connect/token`
  }
}

/** The next port up, so a second sidecar does not collide with the demo's own; 0 stays 0 (a free one). */
function nextPort (port: number): number {
  return port === 0 || port >= 65535 ? 0 : port + 1
}

export interface DemoEnvFile {
  readonly path: string
  readonly text: string
  readonly socketPath: string
  readonly listenPort: number
  readonly adminPort: number
}

/**
 * The settings file the demo writes beside its throwaway files: the mock's
 * settings, plus listeners one port above the demo's own so that `serve`
 * with this file runs beside the demo. Only paths and ports: the secrets stay
 * in their own files.
 */
export function demoEnvFile (dir: string, settings: Readonly<Record<string, string>>, demoPort: number, demoAdminPort: number, program: string): DemoEnvFile {
  const path = join(dir, 'demo.env')
  const socketPath = join(dir, 'sidecar.sock')
  const listenPort = nextPort(demoPort)
  const adminPort = nextPort(demoAdminPort)
  const lines = [
    '# Settings for the running demo\'s mock Trulioo upstream; gone when the demo stops.',
    `#   ${program} check --config-file ${path}`,
    `#   ${program} serve --config-file ${path}`,
    `#   LISTEN_SOCKET=${socketPath} ADMIN_PORT=0 ${program} serve --config-file ${path}`,
    `#   curl -s --unix-socket ${socketPath} http://sidecar/connection/v1/testauthentication`,
    ...Object.entries(settings).map(([name, value]) => `${name}=${value}`),
    // beside the demo's own sidecar, not on its ports
    `LISTEN_PORT=${listenPort}`,
    `ADMIN_PORT=${adminPort}`
  ]
  return { path, text: `${lines.join('\n')}\n`, socketPath, listenPort, adminPort }
}

/**
 * A start-up error of the demo's sidecar, naming what the demo really read:
 * the flag when the value came from one, the variable otherwise, and how to
 * choose another (e.g. `--port: 127.0.0.1:8080 is already in use (…)`).
 */
export function explainDemoError (err: unknown, listeners: Readonly<Record<string, DemoListenerSetting>>): unknown {
  const explain = (problem: ConfigError): ConfigError => {
    const flag = FLAG_OF[problem.subject]
    if (flag === undefined) return problem
    const subject = listeners[problem.subject]?.from === 'flag' ? flag : problem.subject
    const hint = problem.subject === 'LISTEN_SOCKET'
      ? `the demo takes ${flag} or ${problem.subject}`
      : `the demo takes ${flag} or ${problem.subject}; 0 picks a free port`
    return new ConfigError(subject, `${problem.message} (${hint})`, { cause: problem })
  }
  if (err instanceof ConfigErrors) return new ConfigErrors(err.problems.map(explain))
  if (err instanceof ConfigError) return explain(err)
  return err
}
