import type { IncomingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'

/** What a handler is given to act on its exchange: abort, pause, resume, and the raw heads. */
export type Controller = Dispatcher.DispatchController

/**
 * undici's handler API, the one undici 7 and 8 share (`onRequestStart` …
 * `onResponseError`, with a controller), plus the two events of the request's
 * own sending: `onBodySent` (each chunk written) and `onRequestSent` (the last
 * byte written). undici 8's core calls those two on this API directly
 * (lib/core/request.js); on undici 7, undici7-bridge.ts does.
 */
export interface ExchangeHandler {
  onRequestStart?: (controller: Controller, context: unknown) => void
  onRequestUpgrade?: (controller: Controller, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex) => void
  onBodySent?: (chunk: Buffer) => void
  onRequestSent?: () => void
  onResponseStarted?: () => void
  onResponseStart?: (controller: Controller, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string) => void
  onResponseData?: (controller: Controller, chunk: Buffer) => void
  onResponseEnd?: (controller: Controller, trailers: IncomingHttpHeaders) => void
  onResponseError?: (controller: Controller, err: Error) => void
}

export type Dispatch = (options: Dispatcher.DispatchOptions, handler: ExchangeHandler) => boolean

/** undici's interceptor shape: given the next dispatch, returns one that wraps it (`dispatcher.compose()`). */
export type Interceptor = (dispatch: Dispatch) => Dispatch

/**
 * The response head as the upstream sent it (names as sent, values as bytes):
 * the controller carries it on undici 7 and 8; rebuilt from the parsed head
 * only for a controller that does not.
 */
export function rawHeadersOf (controller: Controller, headers: IncomingHttpHeaders): Buffer[] {
  return rawOr(controller.rawHeaders, headers)
}

/** `raw` when it is the raw form (name, value, name, value …), else that form rebuilt from `parsed`. */
export function rawOr (raw: unknown, parsed: IncomingHttpHeaders): Buffer[] {
  if (Array.isArray(raw)) return raw as Buffer[]
  const built: Buffer[] = []
  for (const [name, value] of Object.entries(parsed)) {
    if (value === undefined) continue
    for (const one of Array.isArray(value) ? value : [value]) built.push(Buffer.from(name, 'latin1'), Buffer.from(one, 'latin1'))
  }
  return built
}
