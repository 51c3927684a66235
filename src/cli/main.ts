import { Command, CommanderError, Option } from 'commander'
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
import { EXIT_USAGE } from '../errors.js'
import { version } from '../version.js'
import type { DemoFlags } from './demo-settings.js'

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
  // the demo's flags, typed to serve: answered with the setting that does it, not "unknown option"
  for (const option of portFlagsOfTheDemo()) serve.addOption(option)
  serve.action(async (opts: ConfigFileOptions & PortFlags) => {
    refuseStrayOperands(serve, serve.args)
    refusePortFlags(serve, opts)
    // every command loads its own modules when it runs: `--version` and `--help` load none
    const { serve: run } = await import('./serve-command.js')
    const envFile = configFilePath(opts)
    await run(envFile === undefined ? {} : { envFile })
  })

  program.command('demo')
    .description('run the sidecar against an embedded mock Trulioo upstream with throwaway certificates (no account needed)')
    .option('-p, --port <port>', 'proxy port (default: LISTEN_PORT, else 8080; 0 picks a free one)', parsePort)
    .option('--admin-port <port>', 'admin port (default: ADMIN_PORT, else 9090; 0: off)', parsePort)
    .option('--socket <path>', 'listen on this UNIX socket instead of the proxy port (default: LISTEN_SOCKET)')
    .option('--print-env', 'print the settings that point check and serve at the mock (also written to demo.env, named in the banner)')
    .option('--rotation', 'show a certificate rotation instead: two members of TLS_IDENTITIES_DIR, the new one refused by the mock, the old one serving on, then the new one accepted')
    .addHelpText('after', DEMO_HELP)
    .action(async (opts: DemoFlags) => {
      // loaded only when asked for: its PKI library would slow every `serve` start
      if (opts.rotation === true) {
        const { demoRotation } = await import('./demo-rotation.js')
        await demoRotation(opts)
        return
      }
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

interface PortFlags { port?: string | boolean, adminPort?: string | boolean }

/** `serve --port`, `-p` and `--admin-port`: hidden, accepted only to be refused with the variable to set. */
function portFlagsOfTheDemo (): Option[] {
  return [new Option('-p, --port [port]').hideHelp(), new Option('--admin-port [port]').hideHelp()]
}

function refusePortFlags (serve: Command, opts: PortFlags): void {
  for (const [given, flag, variable, example] of [[opts.port, '--port', 'LISTEN_PORT', '8081'], [opts.adminPort, '--admin-port', 'ADMIN_PORT', '9091']] as const) {
    if (given === undefined) continue
    const value = typeof given === 'string' ? given : example
    serve.error(`error: serve has no ${flag} option: its port is the setting ${variable} (${variable}=${value} ${PROGRAM} serve, or a line in ./.env); ${flag} is the demo's`,
      { code: 'commander.unknownOption', exitCode: EXIT_USAGE })
  }
}

const DEMO_HELP = `
From the environment the demo reads LISTEN_PORT, ADMIN_PORT, LISTEN_SOCKET
(a flag wins) and LOG_LEVEL, and nothing else: no ./.env, and its upstream,
certificates and credentials are its own throwaway ones. It writes them,
with the mock's address, into demo.env in its temporary folder, for
\`check --config-file\` and \`serve --config-file\` against the mock.`

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

