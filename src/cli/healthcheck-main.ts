import { Command } from 'commander'
import { processIo } from './cli-io.js'
import { PROGRAM } from './fail.js'
import { registerHealthcheck } from './healthcheck-command.js'

/**
 * The binary's fast path for `healthcheck`, which a container runtime starts
 * every few seconds: the same command as in main.ts, without loading Fastify,
 * undici, the PKI and every other command (about 0.8 s of CPU a run).
 */
export async function main (argv: string[] = process.argv): Promise<void> {
  const program = new Command(PROGRAM)
  registerHealthcheck(program, processIo())
  await program.parseAsync(argv)
}
