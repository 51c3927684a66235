/**
 * The ids Trulioo's answer names a transaction by: the only values the
 * sidecar ever reads from a body, and only from a billable call's answer
 * (billable-routes.ts). With them an operator finds a call again
 * (`GET /verifications/v1/transaction/{id}/status`,
 * `GET /verifications/v1/transactionrecord/{id}`).
 */
export interface TransactionIds {
  readonly transactionId?: string
  readonly transactionRecordId?: string
}

/** Where the ids go once read: the access record (../proxy/access-record.ts). */
export interface TransactionIdTarget {
  transactionId: string | undefined
  transactionRecordId: string | undefined
}

/**
 * How much of an answer is read for the ids: Trulioo puts `TransactionID`
 * first and `TransactionRecordID` at the head of its `Record`, before the
 * datasource results that make an answer large.
 */
export const SCAN_BUDGET_BYTES = 64 * 1024
/** Longest id taken (a GUID is 36 characters); a longer value is not an id. */
export const MAX_ID_LENGTH = 128

// the keys, matched regardless of case (`TransactionID`, `transactionId`, …)
const KEY_ID = Buffer.from('transactionid', 'latin1')
const KEY_RECORD = Buffer.from('transactionrecordid', 'latin1')
const KEY_MAX = KEY_RECORD.length

const enum State {
  /** Before the first byte that is not white space: `{` or `[`, or it is not JSON. */
  Start,
  /** Between strings: structure, numbers, literals; all skipped. */
  Outside,
  /** Inside a string that may be a key we look for. */
  InString,
  /** Just after a backslash inside a string. */
  Escape,
  /** After a string that spelled one of the keys: a `:` makes it a key. */
  AfterKey,
  /** After the key's `:`: a string opens the value. */
  AfterColon,
  /** Inside the value of a key we look for. */
  InValue,
  /** Both found, the budget spent, or not JSON: nothing more is read. */
  Done
}

const enum Key { None, Id, Record }

/** Bytes an id may hold: letters, digits, `-`, `_`, `.`. Anything else and the value is not taken. */
const SAFE = new Uint8Array(256)
for (let c = 0; c < 256; c++) {
  SAFE[c] = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f || c === 0x2e ? 1 : 0
}

function isSpace (c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09
}

/**
 * Finds `TransactionID` and `TransactionRecordID` (either casing, at any
 * depth, the first of each) in a JSON answer as its chunks pass, without
 * holding them: a byte-at-a-time state machine that knows strings, escapes
 * and keys and nothing else, reads at most SCAN_BUDGET_BYTES, and keeps only
 * the id it is reading (at most MAX_ID_LENGTH bytes). No other value of the
 * body is ever taken: a value is kept only when its key is one of the two and
 * it is a plain string of safe characters.
 */
export class TransactionIdScanner {
  readonly #target: TransactionIdTarget
  #state = State.Start
  #scanned = 0
  /** The string being read: how many bytes, and whether it still spells each key. */
  #length = 0
  #maybeId = false
  #maybeRecord = false
  #key = Key.None
  #value: Buffer | undefined = undefined
  #valueLength = 0

  constructor (target: TransactionIdTarget) {
    this.#target = target
  }

  /** Whether reading is over (both ids found, the budget spent, or not JSON). */
  get done (): boolean { return this.#state === State.Done }

  feed (chunk: Buffer): void {
    if (this.#state === State.Done) return
    const end = Math.min(chunk.length, SCAN_BUDGET_BYTES - this.#scanned)
    this.#scanned += end
    let state: State = this.#state
    for (let i = 0; i < end; i++) {
      const c = chunk[i] as number
      switch (state) {
        case State.Start:
          if (isSpace(c) || c === 0xef || c === 0xbb || c === 0xbf) continue // white space, a UTF-8 BOM
          if (c !== 0x7b && c !== 0x5b) { // { [
            this.#state = State.Done
            return
          }
          state = State.Outside
          continue
        case State.Outside:
          if (c === 0x22) state = this.#openString()
          continue
        case State.InString:
          if (c === 0x22) {
            state = this.#closeString()
          } else if (c === 0x5c) {
            // an escape in a key: not a key we take (Trulioo spells them plainly)
            this.#maybeId = this.#maybeRecord = false
            state = State.Escape
          } else if (this.#maybeId || this.#maybeRecord) {
            this.#spell(c)
          }
          continue
        case State.Escape:
          state = State.InString
          continue
        case State.AfterKey:
          if (isSpace(c)) continue
          if (c === 0x3a) { // :
            state = State.AfterColon
            continue
          }
          // the string was a value, not a key: this byte is read again as structure
          this.#key = Key.None
          state = State.Outside
          if (c === 0x22) state = this.#openString()
          continue
        case State.AfterColon:
          if (isSpace(c)) continue
          if (c === 0x22) {
            this.#valueLength = 0
            state = State.InValue
            continue
          }
          // a number, an object, null: not an id
          this.#key = Key.None
          state = State.Outside
          continue
        case State.InValue:
          if (c === 0x22) {
            state = this.#closeValue()
            if (state === State.Done) {
              this.#state = State.Done
              return
            }
          } else if (SAFE[c] === 1 && this.#valueLength < MAX_ID_LENGTH) {
            this.#value ??= Buffer.allocUnsafe(MAX_ID_LENGTH)
            this.#value[this.#valueLength++] = c
          } else {
            // an escape, an unsafe or one byte too many: not an id; the rest of the string is skipped as a string
            this.#key = Key.None
            this.#maybeId = this.#maybeRecord = false
            state = c === 0x5c ? State.Escape : State.InString
          }
          continue
        default:
          return
      }
    }
    this.#state = this.#scanned >= SCAN_BUDGET_BYTES ? State.Done : state
  }

  #openString (): State {
    this.#length = 0
    this.#maybeId = this.#target.transactionId === undefined
    this.#maybeRecord = this.#target.transactionRecordId === undefined
    return State.InString
  }

  /** One more byte of a string that may be a key: compared, folded to lower case, with each key. */
  #spell (c: number): void {
    const at = this.#length++
    if (at >= KEY_MAX) {
      this.#maybeId = this.#maybeRecord = false
      return
    }
    const lower = c >= 0x41 && c <= 0x5a ? c + 32 : c
    if (this.#maybeId && (at >= KEY_ID.length || KEY_ID[at] !== lower)) this.#maybeId = false
    if (this.#maybeRecord && KEY_RECORD[at] !== lower) this.#maybeRecord = false
  }

  #closeString (): State {
    if (this.#maybeId && this.#length === KEY_ID.length) this.#key = Key.Id
    else if (this.#maybeRecord && this.#length === KEY_RECORD.length) this.#key = Key.Record
    else return State.Outside
    return State.AfterKey
  }

  #closeValue (): State {
    const key = this.#key
    this.#key = Key.None
    if (this.#valueLength === 0 || this.#value === undefined) return State.Outside
    const id = this.#value.toString('latin1', 0, this.#valueLength)
    const target = this.#target
    if (key === Key.Id && target.transactionId === undefined) target.transactionId = id
    else if (key === Key.Record && target.transactionRecordId === undefined) target.transactionRecordId = id
    return target.transactionId !== undefined && target.transactionRecordId !== undefined ? State.Done : State.Outside
  }
}

/** The ids a target holds, or undefined when it holds none (for the journal's unknown outcome). */
export function idsOf (target: TransactionIdTarget): TransactionIds | undefined {
  const { transactionId, transactionRecordId } = target
  if (transactionId === undefined && transactionRecordId === undefined) return undefined
  return { ...(transactionId === undefined ? {} : { transactionId }), ...(transactionRecordId === undefined ? {} : { transactionRecordId }) }
}

/** The ids as a message names them: `TransactionID …, TransactionRecordID …`. */
export function describeIds (ids: TransactionIds): string {
  const parts: string[] = []
  if (ids.transactionId !== undefined) parts.push(`TransactionID ${ids.transactionId}`)
  if (ids.transactionRecordId !== undefined) parts.push(`TransactionRecordID ${ids.transactionRecordId}`)
  return parts.join(', ')
}
