import { statSync } from 'node:fs'
import { ConfigError, ConfigErrors } from '../errors.js'
import { describeFsError } from './load-config.js'

/**
 * A settings file named on the command line (`--config-file`) must exist:
 * unlike the implicit ./.env, which is read only when present, a file the
 * operator asked for and that is missing is a mistake to stop on (exit 78),
 * not something to run without.
 */
export function requireConfigFile (path: string, option = '--config-file'): void {
  try {
    if (statSync(path).isDirectory()) throw new ConfigErrors([new ConfigError(option, `cannot read ${path}: is a directory, not a file`, { code: 'FILE_UNREADABLE' })])
  } catch (err) {
    if (err instanceof ConfigErrors) throw err
    throw new ConfigErrors([new ConfigError(option, `cannot read ${path}: ${describeFsError(err)}`, { code: 'FILE_UNREADABLE' })])
  }
}
