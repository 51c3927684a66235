import { randomBytes } from 'node:crypto'
import { pki } from './harness.js'

/** A key file as an operator makes it (`openssl rand -hex 32`), and the env that points a sidecar at `url` with it. */
export async function sharedJournalEnv (url: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const keyFile = (await pki()).write(`journal-${randomBytes(4).toString('hex')}.key`, `${randomBytes(32).toString('hex')}\n`)
  return { IDEMPOTENCY_STORE: url, IDEMPOTENCY_ENCRYPTION_KEY_FILE: keyFile, ...extra }
}
