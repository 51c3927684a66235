import { InvalidArgumentError } from 'commander'

/** Option parsers shared by the commands. */

export function parsePort (value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be a port number, 0-65535')
  return port
}

export function parsePositive (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number')
  return n
}

/** For a repeatable option: each use adds one value. */
export function collect (value: string, previous: string[]): string[] {
  return [...previous, value]
}
