/**
 * The streams and exit code a command uses. The process's by default; tests
 * pass their own, so commands run in-process without touching the tap runner.
 */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean }
  readonly stderr: NodeJS.WritableStream
  readonly env: NodeJS.ProcessEnv
  setExitCode (code: number): void
}

export function processIo (): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    setExitCode: (code) => { process.exitCode = code }
  }
}

/** Colours only on a terminal, and never when NO_COLOR is set (no-color.org). */
export function wantsColour (io: CliIo): boolean {
  return io.stdout.isTTY === true && (io.env.NO_COLOR ?? '') === '' && io.env.TERM !== 'dumb'
}

export function paint (on: boolean, code: number, text: string): string {
  return on ? `\u001b[${code}m${text}\u001b[0m` : text
}
