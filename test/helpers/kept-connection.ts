import { once } from 'node:events'
import net from 'node:net'

export interface RawAnswer {
  status: number
  /** Lower-cased header names. */
  headers: Record<string, string>
  body: string
}

/**
 * One keep-alive connection to a `http://host:port` URL, as an application's
 * pool holds it: requests written as raw bytes, answers read one at a time
 * (by Content-Length), and how the connection ended: 'FIN' when the server
 * closed it cleanly, the error code (ECONNRESET) when it reset it.
 */
export class KeptConnection {
  readonly socket: net.Socket
  /** Settles once the connection is gone. */
  readonly ended: Promise<string>
  #buffer = ''
  #waiting: (() => void) | undefined

  private constructor (socket: net.Socket) {
    this.socket = socket
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk
      this.#waiting?.()
    })
    this.ended = new Promise((resolve) => {
      let how = 'FIN'
      socket.once('error', (err: NodeJS.ErrnoException) => { how = err.code ?? err.message })
      socket.once('close', () => { resolve(how) })
    })
    void this.ended.then(() => this.#waiting?.())
  }

  static async open (url: string): Promise<KeptConnection> {
    const { hostname, port } = new URL(url)
    const socket = net.connect(Number(port), hostname)
    await once(socket, 'connect')
    return new KeptConnection(socket)
  }

  /** The next whole answer, or the way the connection ended before one came. */
  async nextAnswer (): Promise<RawAnswer | string> {
    for (;;) {
      const answer = this.#take()
      if (answer !== undefined) return answer
      if (this.socket.destroyed) return await this.ended
      await new Promise<void>((resolve) => { this.#waiting = resolve })
      this.#waiting = undefined
    }
  }

  #take (): RawAnswer | undefined {
    const end = this.#buffer.indexOf('\r\n\r\n')
    if (end < 0) return undefined
    const [statusLine = '', ...lines] = this.#buffer.slice(0, end).split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const at = line.indexOf(':')
      headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim()
    }
    const length = Number(headers['content-length'] ?? 0)
    if (this.#buffer.length < end + 4 + length) return undefined
    const body = this.#buffer.slice(end + 4, end + 4 + length)
    this.#buffer = this.#buffer.slice(end + 4 + length)
    return { status: Number(statusLine.split(' ')[1]), headers, body }
  }

  close (): void {
    this.socket.destroy()
  }
}
