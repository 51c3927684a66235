import { exitOnStartupError } from '../../src/cli/fail.js'
import { loadConfig } from '../../src/config/load-config.js'
import { loadIdentity } from '../../src/identity/load-identity.js'

/**
 * `serve`'s start-up in process: configuration, then identity, then the one
 * line it prints and the exit code it gives; undefined when start-up succeeds.
 * The same report as the binary's (cli-config-errors.test.ts), for many settings fast.
 */
export function startupLine (env: Record<string, string>, envFile: string | false = false): { line: string, code: number } | undefined {
  let written = ''
  let code = -1
  try {
    loadIdentity(loadConfig({ envFile, env }))
    return undefined
  } catch (err) {
    const write = process.stderr.write
    process.stderr.write = ((chunk: string) => { written += chunk; return true }) as typeof process.stderr.write
    try {
      exitOnStartupError(err, ((c: number) => { code = c }) as (code: number) => never)
    } finally {
      process.stderr.write = write
    }
  }
  return { line: written, code }
}
