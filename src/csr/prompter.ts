import { createInterface, type Interface } from 'node:readline'
import { Writable } from 'node:stream'
import { CsrInputError } from '../errors.js'

export interface PromptStreams {
  input: NodeJS.ReadableStream
  output: NodeJS.WritableStream
  /** True on a terminal: readline edits lines and a secret's keystrokes are not echoed. */
  terminal: boolean
}

/**
 * Questions and answers one line at a time, on a terminal or over a pipe.
 * Answers that arrive before their question (piped input) are queued, which
 * readline's own `question()` would drop. A secret answer is read with the
 * echo muted: readline writes each keystroke through the muted stream.
 */
export class Prompter {
  readonly #rl: Interface
  readonly #output: NodeJS.WritableStream
  readonly #queue: string[] = []
  #waiting: ((line: string | undefined) => void) | undefined
  #closed = false
  #muted = false

  constructor (streams: PromptStreams) {
    this.#output = streams.output
    const gate = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        if (!this.#muted) streams.output.write(chunk)
        done()
      }
    })
    this.#rl = createInterface({ input: streams.input, output: gate, terminal: streams.terminal })
    this.#rl.on('line', (line) => {
      const waiting = this.#waiting
      this.#waiting = undefined
      if (waiting === undefined) this.#queue.push(line)
      else waiting(line)
    })
    this.#rl.on('close', () => {
      this.#closed = true
      this.#waiting?.(undefined)
      this.#waiting = undefined
    })
    // Ctrl-C at a prompt ends it; the command reports that nothing was written.
    this.#rl.on('SIGINT', () => { this.#rl.close() })
  }

  /** Asks and waits for one line; throws CSR_PROMPT_ABORTED on end of input or Ctrl-C. */
  async ask (question: string, options: { secret?: boolean } = {}): Promise<string> {
    this.#rl.setPrompt(question)
    this.#rl.prompt()
    this.#muted = options.secret === true
    try {
      const line = await this.#next()
      if (line === undefined) throw new CsrInputError('prompt', 'input ended before every question was answered; nothing was written', 'CSR_PROMPT_ABORTED')
      return line
    } finally {
      if (this.#muted) {
        this.#muted = false
        this.#output.write('\n')
      }
    }
  }

  /** A note under the question, e.g. why an answer was refused. */
  say (text: string): void {
    this.#output.write(`${text}\n`)
  }

  close (): void {
    this.#rl.close()
  }

  #next (): Promise<string | undefined> {
    const queued = this.#queue.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    if (this.#closed) return Promise.resolve(undefined)
    return new Promise((resolve) => { this.#waiting = resolve })
  }
}
