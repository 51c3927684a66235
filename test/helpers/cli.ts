import { PassThrough, Writable } from 'node:stream'
import type { CliIo } from '../../src/cli/cli-io.js'
import { runCli as run } from '../../src/cli/main.js'

/** A CliIo whose output is kept in memory: commands run in-process, as rimraf's bin tests do. */
export interface MemoryIo extends CliIo {
  readonly stdin: PassThrough & { isTTY?: boolean }
  readonly out: () => string
  readonly err: () => string
  exitCode: number | undefined
}

class Collect extends Writable {
  readonly chunks: Buffer[] = []
  isTTY?: boolean
  override _write (chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk))
    done()
  }

  text (): string { return Buffer.concat(this.chunks).toString('utf8') }
}

export function memoryIo (env: NodeJS.ProcessEnv = {}, options: { stdoutTTY?: boolean } = {}): MemoryIo {
  const stdout = new Collect()
  if (options.stdoutTTY === true) stdout.isTTY = true
  const stderr = new Collect()
  const io: MemoryIo = {
    stdin: new PassThrough(),
    stdout,
    stderr,
    env,
    exitCode: undefined,
    setExitCode: (code) => { io.exitCode = code },
    out: () => stdout.text(),
    err: () => stderr.text()
  }
  return io
}

/**
 * Runs the CLI in-process with `args` (no `node script` prefix), as the
 * binary does; commander never exits the test process (usage errors, help
 * and version come back as the exit code).
 */
export async function runCli (io: MemoryIo, args: string[]): Promise<MemoryIo> {
  const code = await run(io, args)
  if (code !== undefined) io.exitCode = code
  return io
}
