import { type Config, RELOADED_SECRETS } from '../config/schema.js'

/** Every file whose change means a new identity or new credentials: the identity's files and the `_FILE` of every reloaded secret. */
export function watchedPaths (config: Config): string[] {
  return [
    config.TLS_CERT_FILE, config.TLS_KEY_FILE, config.TLS_PFX_FILE, config.TLS_CA_FILE,
    ...RELOADED_SECRETS.map((name) => config[`${name}_FILE`])
  ].filter((p): p is string => p !== undefined)
}
