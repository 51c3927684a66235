import { ConfigError, ConfigErrors, EXIT_CONFIG } from '../errors.js'

export const PROGRAM = 'trulioo-mtls-sidecar'

/**
 * Start-up failures: one line on stderr naming the variable or file, exit 78.
 * Anything else is a bug: its message (not its stack) and exit 1.
 */
export function exitOnStartupError (err: unknown, exit: (code: number) => never = process.exit): never {
  if (err instanceof ConfigErrors || err instanceof ConfigError) {
    const line = err instanceof ConfigErrors ? err.problems.map((p) => p.toLine()).join('; ') : err.toLine()
    process.stderr.write(`${PROGRAM}: configuration error: ${line}\n`)
    return exit(EXIT_CONFIG)
  }
  process.stderr.write(`${PROGRAM}: ${(err as Error)?.message ?? String(err)}\n`)
  return exit(1)
}
