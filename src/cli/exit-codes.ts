import { EXIT_CONFIG, EXIT_USAGE } from '../errors.js'

/** What each exit code of `serve` means: the table `serve --help` prints. */
export const SERVE_EXIT_CODES: ReadonlyArray<readonly [code: number, meaning: string]> = [
  [0, 'stopped on SIGTERM/SIGINT after the requests in flight finished'],
  [1, 'the shutdown grace period ran out, a second signal came, or an unexpected fault'],
  [EXIT_USAGE, 'usage error: unknown command or option, or a bad option value'],
  [EXIT_CONFIG, 'configuration error: one line on stderr names the variable or file']
]
