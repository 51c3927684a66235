import { lookup } from 'node:dns/promises'
import net, { isIP } from 'node:net'
import { performance } from 'node:perf_hooks'
import tls, { type PeerCertificate } from 'node:tls'
import { classifyUpstreamError } from '../upstream/classify-error.js'
import { openTunnel } from '../upstream/connect-tunnel.js'
import { ADVICE } from './advice.js'
import { type CheckContext, fail, pass, type Step, type StepOutcome } from './check-types.js'
import { RawExchange } from './raw-exchange.js'
import { TEST_AUTH_PATH as TEST_PATH } from '../upstream/test-authentication.js'

/**
 * The path to the upstream, one layer at a time: DNS, TCP, TLS (with an
 * egress proxy, DNS and TCP reach the proxy, and egress-step.ts opens the
 * tunnel on that socket before TLS). The TLS
 * connection is made on the very socket the TCP step opened, and is watched
 * from its first byte by a RawExchange for the client-certificate step.
 */

export { TEST_PATH }

const exchanges = new WeakMap<CheckContext, RawExchange>()

export function exchangeOf (context: CheckContext): RawExchange | undefined {
  return exchanges.get(context)
}

export const dnsStep: Step = {
  id: 'dns',
  title: 'upstream name resolves',
  async run (context) {
    // through an egress proxy, this machine resolves the proxy's name; the proxy resolves the upstream's
    const host = context.egress?.proxy.host ?? context.host
    const whose = context.egress === undefined ? '' : `the egress proxy ${host} (the proxy resolves ${context.host}): `
    if (isIP(host) !== 0) {
      context.addresses = [host]
      return pass(`${whose}${host} is an IP address: nothing to resolve`, { addresses: [host] })
    }
    try {
      const found = await lookup(host, { all: true })
      context.addresses = found.map((a) => a.address)
      return pass(`${whose}${host} → ${context.addresses.join(', ')}`, { addresses: context.addresses })
    } catch (err) {
      return fail(`${whose}${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`, context.egress === undefined ? ADVICE.dns : ADVICE.egressUnreachable)
    }
  }
}

export const tcpStep: Step = {
  id: 'tcp',
  title: 'TCP connects',
  async run (context) {
    const tried: string[] = []
    let lastCode = ''
    const port = context.egress?.proxy.port ?? context.port
    const whose = context.egress === undefined ? '' : 'the egress proxy at '
    for (const address of context.addresses) {
      const where = `${whose}${isIP(address) === 6 ? `[${address}]` : address}:${port}`
      const started = performance.now()
      try {
        context.tcp = await connectTcp(address, port, context.config.CONNECT_TIMEOUT_MS)
        context.address = address
        const ms = Math.round(performance.now() - started)
        return pass(`connected to ${where} in ${ms} ms`, { address, port, ms })
      } catch (err) {
        lastCode = (err as NodeJS.ErrnoException).code ?? 'error'
        tried.push(`${where} (${lastCode === 'ECONNREFUSED' ? 'connection refused' : lastCode === 'ETIMEDOUT' ? `no answer within ${context.config.CONNECT_TIMEOUT_MS} ms` : lastCode})`)
      }
    }
    const advice = context.egress !== undefined ? ADVICE.egressUnreachable : lastCode === 'ECONNREFUSED' ? ADVICE.tcpRefused : ADVICE.tcpTimeout
    return fail(`could not connect: ${tried.join(', ')}`, advice)
  }
}

function connectTcp (host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }))
    }, timeoutMs)
    socket.once('connect', () => { clearTimeout(timer); resolve(socket) })
    socket.once('error', (err) => { clearTimeout(timer); reject(err) })
  })
}

export const tlsStep: Step = {
  id: 'tls',
  title: 'TLS handshake',
  async run (context) {
    const timeout = context.config.CONNECT_TIMEOUT_MS
    const socket = tls.connect({
      socket: context.tcp as net.Socket,
      host: context.host,
      ...(context.servername === undefined ? {} : { servername: context.servername }),
      secureContext: context.identity.secureContext,
      // Checked below, as `serve` would refuse it, after reading what the upstream showed.
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1']
    })
    const exchange = new RawExchange(socket)
    exchanges.set(context, exchange)
    try {
      await exchange.handshake(timeout)
    } catch (err) {
      return handshakeFailed(err)
    }
    const peer = socket.getPeerCertificate()
    const upstream = { subject: formatName(peer.subject), issuer: formatName(peer.issuer), protocol: socket.getProtocol(), cipher: socket.getCipher().name }
    const shown = `${upstream.protocol ?? '?'}, ${upstream.cipher}; upstream certificate ${upstream.subject}, issued by ${upstream.issuer}`
    if (!socket.authorized) {
      const code = String(socket.authorizationError)
      exchange.close()
      return fail(`${shown}: ${classifyUpstreamError({ code }, undefined, context.servername).message}`, untrustedAdvice(code), upstream)
    }
    const required = await clientCertRequired(context)
    return pass(`${shown}; ${required.text}`, { ...upstream, clientCertificateRequired: required.value })
  }
}

function handshakeFailed (err: unknown): StepOutcome {
  const classified = classifyUpstreamError(err)
  const code = (err as NodeJS.ErrnoException).code ?? ''
  const refusedCert = /ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_|ACCESS_DENIED|HANDSHAKE_FAILURE)/.test(code) || code === 'ECONNRESET'
  const advice = code === 'ETIMEDOUT' ? ADVICE.timeout : refusedCert ? ADVICE.certRejected : ADVICE.notTls
  return fail(code === 'ETIMEDOUT' ? (err as Error).message : classified.message, advice)
}

function untrustedAdvice (code: string): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /Hostname\/IP does not match/.test(code)) return ADVICE.upstreamName
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return ADVICE.upstreamExpired
  return ADVICE.untrustedUpstream
}

/**
 * Node cannot show whether the server sent a CertificateRequest. What can be
 * seen: a second connection that offers no client certificate, asked the same
 * GET. Refused → the upstream requires one; answered → it does not.
 */
async function clientCertRequired (context: CheckContext): Promise<{ value: boolean | null, text: string }> {
  let tunnel: net.Socket | undefined
  if (context.egress !== undefined) {
    try {
      tunnel = await openTunnel(context.egress, { host: context.host, port: context.port }, context.config.CONNECT_TIMEOUT_MS)
    } catch {
      return { value: null, text: 'whether a client certificate is required could not be told (a second tunnel was refused)' }
    }
  }
  const bare = new RawExchange(tls.connect({
    ...(tunnel === undefined ? { host: context.address as string, port: context.port } : { socket: tunnel, host: context.host }),
    ...(context.servername === undefined ? {} : { servername: context.servername }),
    secureContext: tls.createSecureContext({ minVersion: 'TLSv1.2' }),
    rejectUnauthorized: false,
    ALPNProtocols: ['http/1.1']
  }))
  try {
    await bare.handshake(context.config.CONNECT_TIMEOUT_MS)
    const answer = await bare.get(TEST_PATH, context.host, context.config.CONNECT_TIMEOUT_MS)
    if (answer.kind === 'refused') return { value: true, text: 'client certificate required (inferred: a connection offering none was refused)' }
    if (answer.kind === 'answered') return { value: false, text: `the upstream also answers without a client certificate (HTTP ${answer.status}); is UPSTREAM_URL the mutual-TLS endpoint?` }
    return { value: null, text: 'whether a client certificate is required could not be told (a connection offering none got no answer)' }
  } catch {
    return { value: true, text: 'client certificate required (inferred: a handshake offering none was refused)' }
  } finally {
    bare.close()
  }
}

function formatName (name: PeerCertificate['subject'] | undefined): string {
  if (name === undefined || name === null) return '(none)'
  return Object.entries(name).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`).join(', ')
}
