import type { Command } from 'commander'
import { describeFsError, readSecretFile } from '../config/load-config.js'
import { readFileSafely } from '../config/read-file-safely.js'
import { ConfigError } from '../errors.js'
import type { MockUpstream } from '../mock/mock-upstream.js'
import type { CliIo } from './cli-io.js'
import { exitOnStartupError, PROGRAM } from './fail.js'
import { parsePort } from './parse-options.js'

export const DEFAULT_MOCK_PORT = 8443
export const MOCK_DESCRIPTION = 'run the mock Trulioo mTLS upstream from certificate and credential files (for docker-compose; see demo-pki)'

export interface MockCommandOptions {
  host: string
  port: number
  certFile: string
  keyFile: string
  clientCaFile: string
  usernameFile?: string
  passwordFile?: string
}

export function registerMock (program: Command, io: CliIo): void {
  program.command('mock')
    .description(MOCK_DESCRIPTION)
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--port <port>', 'listen port', parsePort, DEFAULT_MOCK_PORT)
    .requiredOption('--cert-file <path>', 'PEM server certificate')
    .requiredOption('--key-file <path>', 'PEM server key (unencrypted)')
    .requiredOption('--client-ca-file <path>', 'PEM CA whose client certificates are accepted')
    .option('--username-file <path>', 'file holding the NAPI username to demand (with --password-file)')
    .option('--password-file <path>', 'file holding the NAPI password to demand')
    .action(async (opts: MockCommandOptions) => {
      await mock(opts, io)
    })
}

/**
 * `trulioo-mtls-sidecar mock`: the mock Trulioo mTLS upstream the demo and
 * the tests use, as a process of its own, so docker-compose can run it from
 * the sidecar's image. It makes no files: certificates and credentials come
 * from files (the output of `demo-pki`, mounted as compose secrets).
 */
export async function mock (options: MockCommandOptions, io: Pick<CliIo, 'stdout'>): Promise<MockUpstream> {
  let upstream: MockUpstream
  try {
    const username = options.usernameFile === undefined ? undefined : readOption('--username-file', options.usernameFile, true)
    const password = options.passwordFile === undefined ? undefined : readOption('--password-file', options.passwordFile, true)
    const { startMockUpstream } = await import('../mock/mock-upstream.js')
    upstream = await startMockUpstream({
      cert: readOption('--cert-file', options.certFile),
      key: readOption('--key-file', options.keyFile),
      clientCa: readOption('--client-ca-file', options.clientCaFile),
      host: options.host,
      port: options.port,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password })
    })
  } catch (err) {
    return exitOnStartupError(err)
  }
  io.stdout.write(`${PROGRAM} mock: mock Trulioo upstream (mutual TLS) listening on ${upstream.url}\n`)
  const stop = (): void => {
    upstream.close().then(() => process.exit(0), () => process.exit(1))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  return {
    ...upstream,
    requests: upstream.requests,
    close: async () => {
      process.off('SIGTERM', stop)
      process.off('SIGINT', stop)
      await upstream.close()
    }
  }
}

function readOption (option: string, path: string, secret = false): string {
  try {
    return secret ? readSecretFile(path) : readFileSafely(path, { encoding: 'utf8' })
  } catch (err) {
    throw new ConfigError(option, `cannot read ${path}: ${describeFsError(err)}`, { code: 'FILE_UNREADABLE' })
  }
}
