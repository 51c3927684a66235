import { Transform, type TransformCallback } from 'node:stream'
import { SidecarRequestError } from '../errors.js'

/**
 * Counts the bytes of a body as they stream past, and fails the stream once
 * it passes `limit`: the body is never held, only counted.
 */
export class ByteMeter extends Transform {
  bytes = 0
  readonly #limit: number

  constructor (limit = Number.POSITIVE_INFINITY) {
    super()
    this.#limit = limit
  }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length
    if (this.bytes > this.#limit) {
      callback(new SidecarRequestError('BODY_TOO_LARGE', `the request body is larger than MAX_BODY_BYTES (${this.#limit})`))
      return
    }
    callback(null, chunk)
  }
}
