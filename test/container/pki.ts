import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DemoFiles, writeDemoFiles } from '../../src/mock/demo-files.js'

/**
 * The demo PKI in a temporary folder that a container running as uid 1000
 * can read: the folder 0755, every file 0644 (a bind mount keeps the host's
 * owner, root here). The sidecar warns about the key's mode; that is expected.
 */
export async function containerReadablePki (t: { teardown (fn: () => unknown): void }, serverNames: string[]): Promise<DemoFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'tmsc-pki-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const files = await writeDemoFiles(dir, serverNames)
  chmodSync(dir, 0o755)
  for (const name of readdirSync(dir)) chmodSync(join(dir, name), 0o644)
  return files
}

/** The environment naming the mounted files, for a PKI mounted at `at`. */
export function identityEnv (at: string): string[] {
  return [
    '-e', `TLS_CERT_FILE=${at}/client.pem`,
    '-e', `TLS_KEY_FILE=${at}/client.key`,
    '-e', `TLS_PASSPHRASE_FILE=${at}/passphrase`,
    '-e', `TRULIOO_USERNAME_FILE=${at}/username`,
    '-e', `TRULIOO_PASSWORD_FILE=${at}/password`,
    '-e', `TLS_CA_FILE=${at}/ca.pem`
  ]
}
