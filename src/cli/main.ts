import { readFileSync } from 'node:fs'
import { Command, InvalidArgumentError } from 'commander'
import { PROGRAM } from './fail.js'
import { serve } from './serve-command.js'

export function version (): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

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
      await serve(opts.envFile === undefined ? {} : { envFile: opts.envFile })
    })

  program.command('demo')
    .description('run the sidecar against an embedded mock Trulioo upstream with throwaway certificates (no account needed)')
    .option('-p, --port <port>', 'proxy port', parsePort, 8080)
    .option('--admin-port <port>', 'admin port (0: off)', parsePort, 9090)
    .action(async (opts: { port: number, adminPort: number }) => {
      // loaded only when asked for: the PKI library it needs would slow every `serve` start
      const { demo } = await import('./demo-command.js')
      await demo(opts)
    })

  return program
}

export async function main (argv: string[] = process.argv): Promise<void> {
  await buildProgram().parseAsync(argv)
}
