// A "legacy" application, as it calls Trulioo through the sidecar: plain HTTP,
// no client certificate, no key, no password. Only the sidecar's address.
//
//   TRULIOO_BASE_URL      where the sidecar listens (default http://sidecar:8080)
//   REPEAT_EVERY_SECONDS  0 (default): call once and exit 0 on success, 1 on
//                         failure; more: call again every so many seconds.
const base = process.env.TRULIOO_BASE_URL ?? 'http://sidecar:8080'
const every = Number(process.env.REPEAT_EVERY_SECONDS ?? '0')

async function testAuthentication () {
  // A sidecar error carries x-sidecar-error; anything else is Trulioo's own answer.
  const res = await fetch(`${base}/connection/v1/testauthentication`, { signal: AbortSignal.timeout(15_000) })
  const body = await res.text()
  const sidecarError = res.headers.get('x-sidecar-error')
  console.log(JSON.stringify({ status: res.status, sidecarError, body }))
  return { ok: res.status === 200, retry: sidecarError === 'UPSTREAM_UNREACHABLE' || sidecarError === 'NOT_READY' }
}

/** A few bounded tries: the sidecar may be up a moment before its upstream is. */
async function call () {
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      const { ok, retry } = await testAuthentication()
      if (ok || !retry) return ok
    } catch (err) {
      console.log(JSON.stringify({ error: String(err.cause?.code ?? err.message) }))
    }
    await new Promise((resolve) => setTimeout(resolve, 2000))
  }
  return false
}

if (every > 0) {
  for (;;) {
    await call()
    await new Promise((resolve) => setTimeout(resolve, every * 1000))
  }
} else {
  process.exit(await call() ? 0 : 1)
}
