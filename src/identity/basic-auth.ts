import type { Config } from '../config/schema.js'

/**
 * The `Authorization` value injected upstream, encoded once per load, or
 * undefined when no NAPI credentials are configured (then the application's
 * own Authorization passes through).
 */
export function basicAuthorization (config: Config): string | undefined {
  if (config.TRULIOO_USERNAME === undefined || config.TRULIOO_PASSWORD === undefined) return undefined
  return 'Basic ' + Buffer.from(`${config.TRULIOO_USERNAME}:${config.TRULIOO_PASSWORD}`, 'utf8').toString('base64')
}
