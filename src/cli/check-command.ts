import type { Command } from 'commander'
import { type CliIo, wantsColour } from './cli-io.js'
import { configFileOptions, type ConfigFileOptions, configFilePath } from './config-file-option.js'

export const CHECK_DESCRIPTION = 'walk the chain from configuration to Trulioo\'s Hello, one ✔/✘ line per step, and say what to fix'

export interface CheckOptions extends ConfigFileOptions {
  json: boolean
}

export function registerCheck (program: Command, io: CliIo): void {
  const check = program.command('check')
    .description(CHECK_DESCRIPTION)
  for (const option of configFileOptions()) check.addOption(option)
  check.option('--json', 'print one JSON document instead of lines', false)
    .addHelpText('after', `
Steps: configuration valid; client certificate parses and is current; private
key and passphrase; key matches the certificate; upstream name resolves; TCP
connects; TLS handshake; client certificate accepted; GET
/connection/v1/testauthentication answers Hello; round-trip time.
Exit code 0 when every step passed, 78 when the configuration is invalid, 1 otherwise.`)
    .action(async (opts: CheckOptions) => {
      io.setExitCode(await runCheckCommand(opts, io))
    })
}

export async function runCheckCommand (opts: CheckOptions, io: CliIo): Promise<number> {
  // loaded when `check` runs, not with the CLI
  const [{ runCheck }, { renderJson, renderText }] = await Promise.all([import('../check/run-check.js'), import('../check/render-report.js')])
  const envFile = configFilePath(opts)
  const report = await runCheck({ env: io.env, ...(envFile === undefined ? {} : { envFile, envFileRequired: true }) })
  io.stdout.write(opts.json ? renderJson(report) : renderText(report, wantsColour(io)))
  return report.exitCode
}
