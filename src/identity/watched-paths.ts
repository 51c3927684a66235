import type { Config } from '../config/schema.js'

/** Every file whose change means a new identity or new credentials. */
export function watchedPaths (config: Config): string[] {
  return [
    config.TLS_CERT_FILE, config.TLS_KEY_FILE, config.TLS_PFX_FILE, config.TLS_CA_FILE,
    config.TLS_PASSPHRASE_FILE, config.TRULIOO_USERNAME_FILE, config.TRULIOO_PASSWORD_FILE,
    config.EGRESS_PROXY_AUTH_FILE,
    config.TRULIOO_CLIENT_ID_FILE, config.TRULIOO_CLIENT_SECRET_FILE, config.TRULIOO_API_KEY_FILE
  ].filter((p): p is string => p !== undefined)
}
