import { resolve } from 'node:path'
import { parseEnv } from 'node:util'
import { closestName } from './closest-name.js'
import { CONFIG_VARIABLES, SECRET_VARIABLES } from './schema.js'
import { readFileSafely } from './read-file-safely.js'

/**
 * Settings the sidecar does not know are ignored, so a typo such as
 * TLS_CERT_FIEL would otherwise be silent. A name with one of our prefixes
 * that is near a real setting is reported, with the setting it is near.
 * Names far from every setting (an app's own TRULIOO_BASE_URL, Kubernetes'
 * ADMIN_SERVICE_HOST) are left alone: a warning for them would be noise.
 */
export const OUR_PREFIXES = ['TLS_', 'TRULIOO_', 'UPSTREAM_', 'LISTEN_', 'ADMIN_', 'PROXY_', 'CERT_', 'IDEMPOTENCY_', 'BILLABLE_', 'EGRESS_', 'CLIENT_', 'TOKEN_'] as const

export interface LookAlike {
  /** the name that was set */
  readonly variable: string
  /** the real setting it is closest to */
  readonly closest: string
  /** one line for the log: never the value, which may be a secret */
  readonly message: string
}

const KNOWN = new Set<string>(CONFIG_VARIABLES)
const SECRETS = new Set<string>(SECRET_VARIABLES)

/** The look-alikes among `names` (environment and .env names), each once, in the order given. */
export function lookAlikeVariables (names: Iterable<string>): LookAlike[] {
  const out: LookAlike[] = []
  const seen = new Set<string>()
  for (const variable of names) {
    if (seen.has(variable) || KNOWN.has(variable)) continue
    seen.add(variable)
    if (!OUR_PREFIXES.some((prefix) => variable.startsWith(prefix))) continue
    const closest = suggestion(variable)
    if (closest === undefined) continue
    out.push({ variable, closest, message: `${variable} is not a setting of this sidecar and is ignored (did you mean ${closest}?)` })
  }
  return out
}

function suggestion (variable: string): string | undefined {
  // TLS_CERT for TLS_CERT_FILE: a file setting given without its suffix
  if (KNOWN.has(`${variable}_FILE`)) return `${variable}_FILE`
  // LISTEN_PORT_FILE: only secrets can be read from a file
  const base = variable.endsWith('_FILE') ? variable.slice(0, -'_FILE'.length) : undefined
  if (base !== undefined && KNOWN.has(base) && !SECRETS.has(base)) return base
  return closestName(variable, CONFIG_VARIABLES)
}

/** The look-alikes set in the environment or in the .env-style file `envFile`. */
export function lookAlikeSettings (env: NodeJS.ProcessEnv, envFile: string | false): LookAlike[] {
  return lookAlikeVariables([...Object.keys(env), ...namesInEnvFile(envFile)])
}

/** The variable names a .env-style file sets; none when it cannot be read (loadConfig reports that). */
export function namesInEnvFile (path: string | false): string[] {
  if (path === false) return []
  try {
    // through the checked reader: a FIFO or a device must not block here either
    return Object.keys(parseEnv(readFileSafely(resolve(path), { encoding: 'utf8' })))
  } catch {
    return []
  }
}
