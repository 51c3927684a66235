import { Command, CommanderError } from 'commander'
import { registerCheck } from './check-command.js'
import { type CliIo, processIo } from './cli-io.js'
import { registerCsr } from './csr-command.js'
import { registerDemoPki } from './demo-pki-command.js'
import { PROGRAM } from './fail.js'
import { registerHealthcheck } from './healthcheck-command.js'
import { registerMock } from './mock-command.js'
import { configFileOptions, type ConfigFileOptions, configFilePath } from './config-file-option.js'
import { parsePort } from './parse-options.js'
import { refuseStrayOperands, usageErrorsExit64 } from './usage-errors.js'
import { version } from '../version.js'

export { parsePort }

/**
 * `serve --help` lists every variable from the schema, whose module (TypeBox)
 * takes ~0.1 s to load: it is loaded by runCli only when that help is asked
 * for, and help text must be synchronous, so it is kept here once loaded.
 */
let serveHelp: (() => string) | undefined

/**
 * The command registry: each command lives in its own module. `io` carries
 * the streams and exit code, so tests run commands in-process.
 */
export function buildProgram (io: CliIo = processIo()): Command {
  const program = new Command(PROGRAM)
  // first, so that every command made below inherits it
  usageErrorsExit64(program)
  program
    .description('HTTP on localhost in, mutual TLS to Trulioo out: the app never touches a key, a certificate or a password.')
    .version(version(), '-v, --version')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => { io.stdout.write(text) },
      writeErr: (text) => { io.stderr.write(text) },
      // help is wrapped to the stream it is written to (commander asks process.stdout):
      // the width of that terminal, or 80 when it is not one
      getOutHelpWidth: () => columnsOf(io.stdout),
      getErrHelpWidth: () => columnsOf(io.stderr)
    })

  const serve = program.command('serve', { isDefault: true })
    .description('run the sidecar (the default command); configuration comes from the environment and ./.env')
    // takes no arguments, but a mistyped command name arrives as one: refuseStrayOperands says so
    .allowExcessArguments(true)
    .addHelpText('after', () => serveHelp?.() ?? '')
  for (const option of configFileOptions()) serve.addOption(option)
  serve.action(async (opts: ConfigFileOptions) => {
    refuseStrayOperands(serve, serve.args)
    // every command loads its own modules when it runs: `--version` and `--help` load none
    const { serve: run } = await import('./serve-command.js')
    const envFile = configFilePath(opts)
    await run(envFile === undefined ? {} : { envFile })
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

function columnsOf (stream: NodeJS.WritableStream & { isTTY?: boolean, columns?: number }): number {
  return (stream.isTTY === true ? stream.columns : undefined) ?? 80
}

/** `serve --help`, `serve -h` or `help serve`: the one case that needs the schema for help. */
function asksForServeHelp (args: readonly string[]): boolean {
  if (args[0] === 'help') return args[1] === 'serve'
  return args[0] === 'serve' && (args.includes('--help') || args.includes('-h'))
}

/**
 * Parses `args` (the user's, without `node script`) and runs the command.
 * Returns the exit code of a usage error, help or version (commander's
 * CommanderError); a command sets its own through `io` or exits itself.
 */
export async function runCli (io: CliIo, args: string[]): Promise<number | undefined> {
  if (asksForServeHelp(args) && serveHelp === undefined) serveHelp = (await import('./serve-help.js')).serveHelpText
  try {
    await buildProgram(io).parseAsync(args, { from: 'user' })
    return undefined
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode
    throw err
  }
}

export async function main (argv: string[] = process.argv): Promise<void> {
  const code = await runCli(processIo(), argv.slice(2))
  // exitCode rather than exit(): what commander wrote to stderr is flushed first
  if (code !== undefined) process.exitCode = code
}

