import { createHash, createHmac, randomBytes } from 'node:crypto'

/** Methods whose requests the journal runs at most once per key; on any other the header passes as today. */
export const KEYED_METHODS: ReadonlySet<string> = new Set(['POST', 'PATCH'])

export const MAX_KEY_LENGTH = 255

/** 1 to 255 visible ASCII characters (VCHAR, %x21-7E). */
const BARE = /^[\x21-\x7e]{1,255}$/
/** The same inside double quotes (an sf-string, draft-ietf-httpapi-idempotency-key-header), without `"` or `\` inside. */
const QUOTED = /^"([\x21\x23-\x5b\x5d-\x7e]{1,255})"$/

export type ParsedKey = { readonly key: string } | { readonly problem: string }

/**
 * The application's `Idempotency-Key`, quoted or bare: `"abc"` and `abc` are
 * the same key. Two headers arrive joined with ", " and are refused (the space
 * is not a visible character).
 */
export function parseIdempotencyKey (value: string | string[]): ParsedKey {
  if (Array.isArray(value)) return { problem: 'the request carries more than one Idempotency-Key header' }
  const quoted = QUOTED.exec(value)
  if (quoted !== null) return { key: quoted[1] as string }
  if (BARE.test(value) && !value.startsWith('"')) return { key: value }
  return { problem: `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters, bare or inside double quotes (no spaces, no control characters)` }
}

/**
 * How keys are stored: never the application's key itself, only an
 * HMAC-SHA-256 of it under a key made at random for this process, with the
 * caller's scope, so that two callers' equal keys never meet and a memory
 * dump does not give the keys away.
 */
export class KeyHasher {
  readonly #secret: Buffer

  constructor (secret: Buffer = randomBytes(32)) {
    this.#secret = secret
  }

  /** The stored name of `key` in `scope` (hex). */
  hash (scope: string, key: string): string {
    // the NUL cannot occur in a key (visible characters only): scope and key cannot run together
    return createHmac('sha256', this.#secret).update(scope).update('\0').update(key).digest('hex')
  }
}

/** The access line's `idempotencyKeyHash`: enough to tie the lines of one key together, nothing more. */
export function shortHash (keyHash: string): string {
  return keyHash.slice(0, 12)
}

/** What a retry must repeat exactly: method, path with query, and the body's SHA-256 (stored as one hash). */
export function fingerprint (method: string, target: string, body: Buffer | undefined): string {
  const bodyHash = createHash('sha256').update(body ?? Buffer.alloc(0)).digest('hex')
  return createHash('sha256').update(method).update('\0').update(target).update('\0').update(bodyHash).digest('hex')
}
