import { Dispatcher } from 'undici'

/**
 * A Dispatcher that hands every call to another one, chosen per call by
 * `target()`: the base of the rotating dispatcher (the current identity's
 * Agent) and of the two ends of undici7-bridge.ts.
 */
export abstract class DelegatingDispatcher extends Dispatcher {
  protected abstract target (): Dispatcher

  override dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.target().dispatch(options, handler)
  }

  override close (): Promise<void>
  override close (callback: () => void): void
  override close (callback?: () => void): Promise<void> | void {
    const done = this.target().close()
    if (callback === undefined) return done
    done.then(() => callback(), () => callback())
  }

  override destroy (): Promise<void>
  override destroy (err: Error | null): Promise<void>
  override destroy (callback: () => void): void
  override destroy (err: Error | null, callback: () => void): void
  override destroy (errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const err = typeof errOrCallback === 'function' ? null : errOrCallback ?? null
    const cb = typeof errOrCallback === 'function' ? errOrCallback : callback
    const done = this.target().destroy(err)
    if (cb === undefined) return done
    done.then(() => cb(), () => cb())
  }
}
