import { Option } from 'commander'

/**
 * `--config-file <path>`: a .env-style file read instead of ./.env. The name
 * `--env-file` is also one Node itself reads (nodejs/node#54232): Node 20
 * looks for `--env-file <path>` anywhere on its command line, after the
 * script too, and exits 9 with "node: <path>: not found" before the sidecar
 * runs when the file is missing (and reads /dev/zero until memory runs out).
 * So the option is `--config-file`; the old name is kept, hidden. Node stops
 * looking at `--`: the image's entrypoint and the bin's shebang
 * (`#!/usr/bin/env -S node --`) pass it, so through them `--env-file` is read
 * only by the sidecar; a bare `node bin/… --env-file` still reaches Node first
 * (verified on Node 20.20 and 24.22).
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
