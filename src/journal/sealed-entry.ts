import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import type { Outcome } from './memory-store.js'

/** An entry as a shared store keeps it: the request it was for, its first attempt, and, once there is one, its outcome. */
export interface StoredEntry {
  readonly fingerprint: string
  readonly requestId: string
  readonly startedAt: number
  /** Past this (clock ms) an entry still in flight is taken as abandoned: its sidecar stopped. */
  readonly leaseUntil: number
  readonly outcome?: Outcome
  /** Fields added to entries later travel as they are. */
  readonly [field: string]: unknown
}

const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16
const HEAD = 1 + IV_BYTES + TAG_BYTES

/**
 * The two keys made from IDEMPOTENCY_ENCRYPTION_KEY (HKDF-SHA-256, one label
 * each, so that neither use weakens the other): one encrypts entries, one
 * hashes the applications' keys. Every sidecar sharing the store derives the
 * same two, so a retry through another sidecar finds the entry; a third
 * value, the key check, tells them whether they do.
 */
export function deriveJournalKeys (master: Buffer): { entries: Buffer, keyHashes: Buffer, check: string } {
  const derive = (label: string): Buffer => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `trulioo-mtls-sidecar journal v1 ${label}`, 32))
  // stored in clear so that sidecars can tell whether they share the key: it gives nothing of the key away
  return { entries: derive('entries'), keyHashes: derive('key hashes'), check: derive('key check').subarray(0, 16).toString('hex') }
}

/**
 * An entry sealed for a shared store: AES-256-GCM under the entries key, a
 * fresh 96-bit IV each time, the key hash as additional data (an entry moved
 * under another key does not open). Laid out as version, IV, tag, ciphertext;
 * the plaintext is the entry as JSON (its answer's body left out) preceded by
 * its length, then the body's bytes as they are (no base64 of a 1 MiB answer).
 * The outcome is written whole, whatever fields it has.
 */
export class EntrySeal {
  readonly #key: Buffer

  constructor (entriesKey: Buffer) {
    this.#key = entriesKey
  }

  seal (keyHash: string, entry: StoredEntry): Buffer {
    const { outcome, ...rest } = entry
    let body: Buffer | undefined
    let written: unknown = outcome
    if (outcome?.kind === 'answered') {
      const { body: bytes, ...answer } = outcome.answer
      body = bytes
      written = { ...outcome, answer }
    }
    const json = Buffer.from(JSON.stringify({ ...rest, outcome: written }), 'utf8')
    const length = Buffer.alloc(4)
    length.writeUInt32BE(json.length)
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(keyHash, 'utf8'))
    const parts = [cipher.update(length), cipher.update(json)]
    if (body !== undefined) parts.push(cipher.update(body))
    parts.push(cipher.final())
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ...parts])
  }

  /** The entry, or an Error when it does not open (another key, altered, not ours). */
  open (keyHash: string, sealed: Buffer): StoredEntry {
    if (sealed.length < HEAD + 4 || sealed[0] !== VERSION) throw new Error('an entry in the store is not one this sidecar wrote (unknown format)')
    const decipher = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(1, 1 + IV_BYTES))
    decipher.setAAD(Buffer.from(keyHash, 'utf8'))
    decipher.setAuthTag(sealed.subarray(1 + IV_BYTES, HEAD))
    let plain: Buffer
    try {
      plain = Buffer.concat([decipher.update(sealed.subarray(HEAD)), decipher.final()])
    } catch {
      throw new Error('an entry in the store does not decrypt: the sidecars sharing it do not all have the same IDEMPOTENCY_ENCRYPTION_KEY, or it was altered')
    }
    const length = plain.readUInt32BE(0)
    const entry = JSON.parse(plain.subarray(4, 4 + length).toString('utf8')) as Record<string, unknown> & { outcome?: Record<string, unknown> | null }
    const outcome = entry.outcome
    if (outcome === null || outcome === undefined) {
      delete entry.outcome
    } else if (outcome.kind === 'answered') {
      entry.outcome = { ...outcome, answer: { ...(outcome.answer as object), body: plain.subarray(4 + length) } }
    }
    return entry as unknown as StoredEntry
  }
}
