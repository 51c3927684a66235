import type { TLSSocket } from 'node:tls'

const MAX_BYTES = 64 * 1024

export type Answer =
  | { readonly kind: 'answered', readonly status: number, readonly head: string, readonly body: string }
  | { readonly kind: 'refused', readonly error: NodeJS.ErrnoException | undefined, readonly afterHandshake: boolean }
  | { readonly kind: 'timeout' }

/**
 * One TLS connection watched from its first byte, so nothing the upstream
 * does is missed between steps: over TLS 1.3 the client finishes its
 * handshake before the server has judged the client certificate, and the
 * server's verdict (an alert, or a bare close) can arrive at any moment after.
 */
export class RawExchange {
  readonly socket: TLSSocket
  #chunks: Buffer[] = []
  #bytes = 0
  #error: NodeJS.ErrnoException | undefined
  #closed = false
  #secured = false
  #protocol: string | null = null
  #waiters = new Set<() => void>()

  constructor (socket: TLSSocket) {
    this.socket = socket
    socket.on('secureConnect', () => {
      this.#secured = true
      this.#protocol = socket.getProtocol()
      this.#notify()
    })
    socket.on('data', (chunk: Buffer) => {
      if (this.#bytes < MAX_BYTES) this.#chunks.push(chunk)
      this.#bytes += chunk.length
      this.#notify()
    })
    socket.on('error', (err: NodeJS.ErrnoException) => { this.#error ??= err; this.#notify() })
    socket.on('close', () => { this.#closed = true; this.#notify() })
  }

  get error (): NodeJS.ErrnoException | undefined { return this.#error }

  /** The TLS version agreed, kept after the socket is gone (getProtocol() then says null). */
  get protocol (): string | null { return this.#protocol }

  /** Resolves once the handshake is done; rejects with the reason it failed. */
  async handshake (timeoutMs: number): Promise<void> {
    const done = await this.#until(() => this.#secured || this.#error !== undefined || this.#closed, timeoutMs)
    if (this.#secured) return
    if (!done) {
      this.socket.destroy()
      throw Object.assign(new Error(`no TLS handshake within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })
    }
    throw this.#error ?? Object.assign(new Error('the connection closed before the TLS handshake finished'), { code: 'ECONNRESET' })
  }

  /**
   * Sends a GET without credentials and waits for the answer's head, or for
   * the connection to end without one (the upstream refused the client).
   */
  async get (path: string, host: string, timeoutMs: number): Promise<Answer> {
    if (!this.#closed && this.#error === undefined) {
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAccept: application/json\r\nUser-Agent: trulioo-mtls-sidecar-check\r\nConnection: close\r\n\r\n`)
    }
    const done = await this.#until(() => this.#closed || this.#error !== undefined || this.#text().includes('\r\n\r\n'), timeoutMs)
    const text = this.#text()
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1]
    if (status !== undefined) {
      const end = text.indexOf('\r\n\r\n')
      return { kind: 'answered', status: Number(status), head: end < 0 ? text : text.slice(0, end), body: end < 0 ? '' : text.slice(end + 4) }
    }
    if (!done) return { kind: 'timeout' }
    return { kind: 'refused', error: this.#error, afterHandshake: this.#secured }
  }

  close (): void {
    this.socket.destroy()
  }

  #text (): string {
    return Buffer.concat(this.#chunks).toString('latin1')
  }

  #notify (): void {
    for (const waiter of this.#waiters) waiter()
  }

  /** True when `ready()` held before the timeout. */
  #until (ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.#waiters.delete(check); resolve(false) }, timeoutMs)
      const check = (): void => {
        if (!ready()) return
        clearTimeout(timer)
        this.#waiters.delete(check)
        resolve(true)
      }
      this.#waiters.add(check)
    })
  }
}
