import { Command, InvalidArgumentError } from 'commander'
import { PROGRAM } from './fail.js'
import { DEFAULT_HEALTHCHECK_TIMEOUT_MS, healthcheck } from './healthcheck-command.js'
import { version } from '../version.js'

// Each command's module is imported when that command runs, not before:
// `healthcheck` runs every few seconds inside the container and must not pay
// for loading Fastify, undici and the PKI code it never uses. (Its own module
// is light, node:http and the schema's defaults, so it is imported here.)
const DEFAULT_MOCK_PORT = 8443

export function parsePort (value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be a port number, 0-65535')
  return port
}

/** The command registry: each command lives in its own module. */
export function buildProgram (): Command {
  const program = new Command(PROGRAM)
    .description('HTTP on localhost in, mutual TLS to Trulioo out: the app never touches a key, a certificate or a password.')
    .version(version(), '-v, --version')
    .showHelpAfterError()

  program.command('serve', { isDefault: true })
    .description('run the sidecar (the default command); configuration comes from the environment and ./.env')
    .option('--env-file <path>', 'read settings from this file instead of ./.env')
    .action(async (opts: { envFile?: string }) => {
      const { serve } = await import('./serve-command.js')
      await serve(opts.envFile === undefined ? {} : { envFile: opts.envFile })
    })

  program.command('demo')
    .description('run the sidecar against an embedded mock Trulioo upstream with throwaway certificates (no account needed)')
    .option('-p, --port <port>', 'proxy port', parsePort, 8080)
    .option('--admin-port <port>', 'admin port (0: off)', parsePort, 9090)
    .action(async (opts: { port: number, adminPort: number }) => {
      const { demo } = await import('./demo-command.js')
      await demo(opts)
    })

  program.command('healthcheck')
    .description('exit 0 when the admin listener (ADMIN_HOST, ADMIN_PORT) answers /livez, else 1: a HEALTHCHECK that needs no curl')
    .option('--ready', 'ask /readyz instead: ready to serve, not merely alive')
    .option('--host <host>', 'admin address to ask (default: ADMIN_HOST, loopback when it is 0.0.0.0)')
    .option('--port <port>', 'admin port to ask (default: ADMIN_PORT)', parsePort)
    .option('--timeout <ms>', 'give up after this many milliseconds', parsePositive, DEFAULT_HEALTHCHECK_TIMEOUT_MS)
    .action(async (opts: { ready?: boolean, host?: string, port?: number, timeout: number }) => {
      await healthcheck({
        path: opts.ready === true ? '/readyz' : '/livez',
        timeoutMs: opts.timeout,
        ...(opts.host === undefined ? {} : { host: opts.host }),
        ...(opts.port === undefined ? {} : { port: opts.port })
      })
    })

  program.command('mock')
    .description('run the mock Trulioo mTLS upstream from certificate and credential files (for docker-compose; see demo-pki)')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--port <port>', 'listen port', parsePort, DEFAULT_MOCK_PORT)
    .requiredOption('--cert-file <path>', 'PEM server certificate')
    .requiredOption('--key-file <path>', 'PEM server key (unencrypted)')
    .requiredOption('--client-ca-file <path>', 'PEM CA whose client certificates are accepted')
    .option('--username-file <path>', 'file holding the NAPI username to demand (with --password-file)')
    .option('--password-file <path>', 'file holding the NAPI password to demand')
    .action(async (opts: import('./mock-command.js').MockCommandOptions) => {
      const { mock } = await import('./mock-command.js')
      await mock(opts)
    })

  program.command('demo-pki')
    .description('write a throwaway CA, mock server and client certificates and demo credentials into a folder (for docker-compose)')
    .requiredOption('--out <dir>', 'folder to write into (made if missing)')
    .option('--server-name <name>', 'a name the mock upstream is reached by (repeatable; default mock-trulioo, localhost, 127.0.0.1)', collect, [])
    .option('--private', 'keep keys and secrets at mode 0600 instead of 0644')
    .action(async (opts: import('./demo-pki-command.js').DemoPkiOptions) => {
      const { demoPki } = await import('./demo-pki-command.js')
      await demoPki(opts)
    })

  return program
}

function collect (value: string, previous: string[]): string[] {
  return [...previous, value]
}

export function parsePositive (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number')
  return n
}

export async function main (argv: string[] = process.argv): Promise<void> {
  await buildProgram().parseAsync(argv)
}
