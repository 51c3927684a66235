import { ConfigError } from '../errors.js'
import { HEADER_SECRETS } from './schema.js'

/*
 * Secrets that end up in an HTTP header (HEADER_SECRETS, from the one list in
 * schema.ts): the NAPI Basic credentials, the API key, the OAuth2 client
 * credentials (Basic on the token call), the egress proxy's credentials and
 * the token applications must present. A control character in one (a CR LF
 * left in a secret file, a tab pasted into .env) either makes every request
 * that carries it fail inside the sidecar or silently sends something else
 * than was meant: refused where it is read, at start-up and on reload, so the
 * sidecar never reports ready with it.
 */

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL_CHARACTER = /[\x00-\x1F\x7F]/

const NAMED: Readonly<Record<number, string>> = { 0x00: 'NUL', 0x09: 'TAB', 0x0a: 'LF', 0x0d: 'CR', 0x1b: 'ESC', 0x7f: 'DEL' }

/**
 * The first control character (U+0000 to U+001F, U+007F) in `value`, by name
 * (`CR`, `LF`, `TAB`, or its code such as `0x01`), or undefined. Only the
 * character is named, never where it is or what is around it.
 */
export function controlCharacterIn (value: string): string | undefined {
  const found = CONTROL_CHARACTER.exec(value)
  if (found === null) return undefined
  const code = found[0].charCodeAt(0)
  return NAMED[code] ?? `0x${code.toString(16).padStart(2, '0').toUpperCase()}`
}

/**
 * One problem per header secret in `raw` (values already read from their
 * `_FILE`s) holding a control character, naming the `_FILE` variable when
 * the value came from one. The message never holds the value.
 */
export function checkHeaderSecrets (raw: Readonly<Record<string, string | undefined>>, problems: ConfigError[]): void {
  for (const name of HEADER_SECRETS) {
    const value = raw[name]
    if (value === undefined) continue
    const found = controlCharacterIn(value)
    if (found === undefined) continue
    problems.push(raw[`${name}_FILE`] === undefined
      ? new ConfigError(name, `holds a control character (${found}), which no header can carry`)
      : new ConfigError(`${name}_FILE`, `holds a control character (${found}), which no header can carry: look for a stray line break or a Windows line ending inside the file (one trailing newline is dropped)`))
  }
}
