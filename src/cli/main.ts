import { Command } from 'commander'
import { registerCheck } from './check-command.js'
import { type CliIo, processIo } from './cli-io.js'
import { registerCsr } from './csr-command.js'
import { registerDemoPki } from './demo-pki-command.js'
import { PROGRAM } from './fail.js'
import { registerHealthcheck } from './healthcheck-command.js'
import { registerMock } from './mock-command.js'
import { parsePort } from './parse-options.js'
import { version } from '../version.js'

export { parsePort }

/**
 * The command registry: each command lives in its own module. `io` carries
 * the streams and exit code, so tests run commands in-process.
 */
export function buildProgram (io: CliIo = processIo()): Command {
  const program = new Command(PROGRAM)
    .description('HTTP on localhost in, mutual TLS to Trulioo out: the app never touches a key, a certificate or a password.')
    .version(version(), '-v, --version')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => { io.stdout.write(text) },
      writeErr: (text) => { io.stderr.write(text) }
    })

  program.command('serve', { isDefault: true })
    .description('run the sidecar (the default command); configuration comes from the environment and ./.env')
    .option('--env-file <path>', 'read settings from this file instead of ./.env')
    .action(async (opts: { envFile?: string }) => {
      // every command loads its own modules when it runs: `--version` and `--help` load none
      const { serve } = await import('./serve-command.js')
      await serve(opts.envFile === undefined ? {} : { envFile: opts.envFile })
    })

  program.command('demo')
    .description('run the sidecar against an embedded mock Trulioo upstream with throwaway certificates (no account needed)')
    .option('-p, --port <port>', 'proxy port', parsePort, 8080)
    .option('--admin-port <port>', 'admin port (0: off)', parsePort, 9090)
    .action(async (opts: { port: number, adminPort: number }) => {
      // loaded only when asked for: its PKI library would slow every `serve` start
      const { demo } = await import('./demo-command.js')
      await demo(opts)
    })

  registerCheck(program, io)
  registerCsr(program, io)
  registerHealthcheck(program, io)
  registerMock(program, io)
  registerDemoPki(program, io)
  return program
}

export async function main (argv: string[] = process.argv): Promise<void> {
  await buildProgram().parseAsync(argv)
}
