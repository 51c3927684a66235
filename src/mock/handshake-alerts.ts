import { createCipheriv, createHmac, X509Certificate } from 'node:crypto'
import { createServer, type Server, type Socket } from 'node:net'
import { Duplex } from 'node:stream'
import tls from 'node:tls'

/**
 * A TLS front for the mock that refuses client certificates the way an
 * OpenSSL server does: with a fatal TLS alert (bad_certificate, unknown_ca,
 * certificate_revoked, certificate_expired, access_denied, ...) in place of
 * the server's last handshake message.
 *
 * Node's own TLS server cannot: it accepts every client certificate in
 * OpenSSL and judges it afterwards in JavaScript, then closes the socket
 * without an alert, which a client cannot tell from a connection that
 * accepted the request and then died. Trulioo's endpoint sends alerts, and
 * the sidecar's fallback (src/upstream/fallback.ts) relies on them.
 *
 * How: every byte the server writes after the client's certificate flight is
 * held until the server has judged it ('secure'). Accepted, the bytes go out
 * and the socket is handed to the HTTP server. Refused, they are dropped and
 * the alert goes out instead: in TLS 1.2 in the clear (the client waits for
 * the server's ChangeCipherSpec), in TLS 1.3 encrypted with the server's
 * first application traffic key (from the socket's key log), as the first
 * record under that key. Nothing the client sent after its Finished (the
 * request) is ever read.
 */

export const ALERTS = {
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  unknown_ca: 48,
  access_denied: 49,
  certificate_required: 116
} as const

export type AlertName = keyof typeof ALERTS

/**
 * What an OpenSSL server's verification answers for a client certificate
 * (ssl_verify_alarm_type), judged here since a socket made outside a
 * tls.Server is not judged by Node: not issued by a trusted CA, outside its
 * validity, or not meant for clients. Undefined: accepted.
 */
export function verifyClientCertificate (cert: X509Certificate | undefined, trusted: readonly X509Certificate[], now = Date.now()): AlertName | undefined {
  if (cert === undefined) return 'certificate_required'
  if (!trusted.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) return 'unknown_ca'
  if (now > new Date(cert.validTo).getTime()) return 'certificate_expired'
  if (now < new Date(cert.validFrom).getTime()) return 'bad_certificate'
  const usage = cert.keyUsage
  if (usage !== undefined && usage.length > 0 && !usage.includes('1.3.6.1.5.5.7.3.2')) return 'unsupported_certificate'
  return undefined
}

export interface HandshakeAlertsOptions {
  secureContext: () => tls.SecureContext
  /** The CAs whose client certificates are accepted. */
  trusted: readonly X509Certificate[]
  /** The time certificates are judged at. */
  now: () => number
  /** The alert for a client certificate serial (upper-case hex), or undefined to judge it by the CA. */
  verdict: (serialNumber: string | undefined) => AlertName | undefined
  /** An accepted, secured socket: the HTTP server's. */
  accepted: (socket: tls.TLSSocket) => void
  /** A refusal was sent. */
  refused?: (alert: AlertName, serialNumber: string | undefined) => void
}

/** A TCP server whose connections get TLS with alert refusals (see above). */
export function handshakeAlertServer (options: HandshakeAlertsOptions): Server {
  return createServer((raw) => { front(raw, options) })
}

function front (raw: Socket, options: HandshakeAlertsOptions): void {
  // first flight (pass), then the server's words held until its verdict, then open or refused
  let phase: 'first flight' | 'held' | 'open' | 'refused' = 'first flight'
  let serverSpoke = false
  const held: Array<{ chunk: Buffer, callback: (err?: Error | null) => void }> = []
  const wire = new Duplex({
    read () {},
    write (chunk: Buffer, _encoding, callback) {
      if (phase === 'refused') {
        // the TLS socket's own closing words are not sent
        callback()
        return
      }
      if (phase === 'held') {
        held.push({ chunk, callback })
        return
      }
      serverSpoke = true
      raw.write(chunk, callback)
    },
    final (callback) {
      if (phase !== 'refused') raw.end()
      callback()
    },
    destroy (err, callback) {
      if (phase !== 'refused') raw.destroy()
      callback(err)
    }
  })
  raw.on('data', (data) => {
    if (serverSpoke && phase === 'first flight') phase = 'held'
    wire.push(data)
  })
  raw.on('end', () => { wire.push(null) })
  raw.on('error', () => { wire.destroy() })
  raw.on('close', () => { wire.destroy() })

  const socket = new tls.TLSSocket(wire as unknown as Socket, {
    isServer: true,
    secureContext: options.secureContext(),
    requestCert: true,
    rejectUnauthorized: false
  })
  let trafficSecret: Buffer | undefined
  socket.on('keylog', (line: Buffer) => {
    const [label, , secret] = line.toString('latin1').trim().split(' ')
    if (label === 'SERVER_TRAFFIC_SECRET_0' && secret !== undefined) trafficSecret = Buffer.from(secret, 'hex')
  })
  socket.on('error', () => { raw.destroy() })
  // the HTTP server ending or destroying the connection ends the TCP one
  socket.on('close', () => { if (phase !== 'refused') raw.destroy() })
  socket.once('secure', () => {
    const peer = socket.getPeerX509Certificate()
    const serialNumber = peer?.serialNumber
    const verdict = options.verdict(serialNumber) ?? verifyClientCertificate(peer, options.trusted, options.now())
    if (verdict === undefined) {
      phase = 'open'
      for (const { chunk, callback } of held.splice(0)) raw.write(chunk, callback)
      options.accepted(socket)
      return
    }
    phase = 'refused'
    for (const { callback } of held.splice(0)) callback()
    const record = socket.getProtocol() === 'TLSv1.3'
      ? encryptedAlert(ALERTS[verdict], socket.getCipher().standardName, trafficSecret as Buffer)
      : Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, ALERTS[verdict]])
    options.refused?.(verdict, serialNumber)
    raw.end(record)
    socket.destroy()
  })
}

const SUITES: Record<string, { cipher: string, hash: string, keyLength: number }> = {
  TLS_AES_128_GCM_SHA256: { cipher: 'aes-128-gcm', hash: 'sha256', keyLength: 16 },
  TLS_AES_256_GCM_SHA384: { cipher: 'aes-256-gcm', hash: 'sha384', keyLength: 32 },
  TLS_CHACHA20_POLY1305_SHA256: { cipher: 'chacha20-poly1305', hash: 'sha256', keyLength: 32 }
}

/** RFC 8446 §7.1 HKDF-Expand-Label with an empty context, for lengths of one hash block at most. */
function expandLabel (hash: string, secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1')
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0])])
  return createHmac(hash, secret).update(Buffer.concat([info, Buffer.from([1])])).digest().subarray(0, length)
}

/** A fatal alert as the first TLS 1.3 record under the server's application traffic secret (RFC 8446 §5.2). */
function encryptedAlert (description: number, suiteName: string, secret: Buffer): Buffer {
  const suite = SUITES[suiteName]
  if (suite === undefined) throw new Error(`the mock cannot encrypt an alert with ${suiteName}`)
  const key = expandLabel(suite.hash, secret, 'key', suite.keyLength)
  // sequence number 0: the nonce is the IV itself
  const nonce = expandLabel(suite.hash, secret, 'iv', 12)
  const inner = Buffer.from([0x02, description, 0x15]) // level fatal, description, content type alert
  const header = Buffer.from([0x17, 0x03, 0x03, 0x00, inner.length + 16])
  const cipher = createCipheriv(suite.cipher as 'aes-128-gcm', key, nonce, { authTagLength: 16 })
  cipher.setAAD(header)
  const body = Buffer.concat([cipher.update(inner), cipher.final(), cipher.getAuthTag()])
  return Buffer.concat([header, body])
}
