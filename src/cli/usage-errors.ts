import { type Command, CommanderError } from 'commander'
import { closestName } from '../config/closest-name.js'
import { EXIT_USAGE } from '../errors.js'

/**
 * Usage errors: commander's own (unknown option, missing or bad option value,
 * too many arguments; codes `commander.*`) and an unknown command, all exit
 * 64 (EX_USAGE), as `csr` refusals do. Help and version still exit 0.
 */
export function usageErrorsExit64 (program: Command): void {
  program.exitOverride((err) => {
    throw err.exitCode === 0 ? err : new CommanderError(EXIT_USAGE, err.code, err.message)
  })
}

/**
 * `serve` is the default command, so commander hands it a mistyped command
 * name (`serv`) as an argument and says "too many arguments for 'serve'".
 * Called from serve's action with the operands it got: a name that is not a
 * command is reported as one, with the nearest command.
 */
export function refuseStrayOperands (serve: Command, operands: readonly string[]): void {
  if (operands.length === 0) return
  const program = serve.parent ?? serve
  const typed = program.args[0]
  if (typed === serve.name()) {
    serve.error(`error: too many arguments for '${serve.name()}': ${operands.join(' ')}`, { code: 'commander.excessArguments', exitCode: EXIT_USAGE })
  }
  const names = program.commands.map((c) => c.name())
  const near = closestName(operands[0]!, names)
  const hint = near === undefined ? ` (commands: ${names.join(', ')})` : ` (did you mean '${near}'?)`
  program.error(`error: unknown command '${operands[0]!}'${hint}`, { code: 'commander.unknownCommand', exitCode: EXIT_USAGE })
}
