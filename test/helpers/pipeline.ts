import type { MockUpstream } from '../../src/mock/mock-upstream.js'
import type { Sidecar } from '../../src/sidecar.js'
import type { LogSink } from './harness.js'
import { rawExchange } from './raw-http.js'
import { waitFor } from './harness.js'

/**
 * The status codes of the responses in `text`, in order, read one after the
 * other by their Content-Length (the answers in these tests all carry one,
 * or have no body).
 */
export function statuses (text: string): number[] {
  const out: number[] = []
  let at = 0
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at)
    if (end < 0) break
    const head = text.slice(at, end)
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)
    if (status === null) break
    const code = Number(status[1])
    out.push(code)
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)
    at = end + 4 + (length === null || code === 204 || code === 304 ? 0 : Number(length[1]))
  }
  return out
}

export interface PipelineOutcome {
  /** What the application's reader saw, in order. */
  statuses: number[]
  text: string
  closedByServer: boolean
  /** The paths the upstream received during the exchange. */
  forwarded: string[]
}

/**
 * Writes `bytes` at once on one connection (requests pipelined behind each
 * other), collects every answer until the sidecar closes, and waits until
 * nothing is in flight any more.
 */
export async function pipelined (sidecar: Sidecar, mock: MockUpstream, bytes: string | Buffer, waitMs = 5_000): Promise<PipelineOutcome> {
  const before = mock.requests.length
  const { text, closedByServer } = await rawExchange(sidecar.proxyUrl, bytes, waitMs)
  await waitFor(() => sidecar.lifecycle.inFlight === 0, 3_000)
  return { statuses: statuses(text), text, closedByServer, forwarded: mock.requests.slice(before).map((r) => r.path) }
}

/** The access lines written so far, by request id order of arrival. */
export function accessLines (logs: LogSink): Array<Record<string, unknown>> {
  return logs.lines.filter((line) => line.msg === 'request')
}
