import { Option } from 'commander'

/**
 * `--config-file <path>`: a .env-style file read instead of ./.env. The name
 * `--env-file` is also one Node itself reads (nodejs/node#54232): Node 20
 * looks for `--env-file <path>` anywhere on its command line, after the
 * script too, and exits 9 with "node: <path>: not found" before the sidecar
 * runs when the file is missing. So the option is `--config-file`; the old
 * name is kept, hidden, for the files that exist; for a missing one Node
 * answers first (verified on Node 20.20 and 24.22), so only --config-file
 * gives the sidecar's one line and exit 78.
 */
export interface ConfigFileOptions { configFile?: string, envFile?: string }

export function configFileOptions (): Option[] {
  return [
    new Option('--config-file <path>', 'read settings from this file instead of ./.env (a missing file is an error, exit 78)'),
    new Option('--env-file <path>', 'the former name of --config-file').hideHelp().conflicts('configFile')
  ]
}

export function configFilePath (opts: ConfigFileOptions): string | undefined {
  return opts.configFile ?? opts.envFile
}
