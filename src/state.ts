/**
 * Process-wide flags shared by the proxy and the admin listener.
 * The proxy reads them per request, so they are plain fields.
 */
export class SidecarState {
  readonly startedAt = new Date()
  /** Set on SIGTERM/SIGINT: readiness fails and new requests get SHUTTING_DOWN. */
  draining = false
  /** STARTUP_CHECK: undefined while not required, else whether the test call passed. */
  startupCheckPassed: boolean | undefined = undefined
  /** Why the start-up check has not passed yet (certificate or credentials refused, …). */
  startupCheckDetail: string | undefined = undefined
  /** Requests the proxy is serving right now. */
  inFlight = 0
}
