import t from 'tap'
import { SidecarRequestError } from '../../src/errors.js'
import { classifyUpstreamError } from '../../src/upstream/classify-error.js'
import { SocketFates } from '../../src/upstream/tls-connector.js'

// The one mapping from what undici, TLS and sockets report to the sidecar's
// codes, as a table: each row an error as it arrives (often wrapped by
// reply-from), the code the application gets, and whether the upstream
// refused our client certificate (what a fallback to another certificate
// would act on).

const err = (code: string | undefined, message = 'x', extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(message), code === undefined ? {} : { code }, extra)
const wrapped = (inner: Error): Error => Object.assign(new Error('wrapped by reply-from'), { code: 'FST_REPLY_FROM_INTERNAL_SERVER_ERROR', cause: inner })

const ROWS: Array<{ name: string, error: unknown, code: string, refused?: boolean, message?: RegExp }> = [
  { name: 'connection refused', error: err('ECONNREFUSED'), code: 'UPSTREAM_UNREACHABLE' },
  { name: 'DNS', error: err('ENOTFOUND'), code: 'UPSTREAM_UNREACHABLE' },
  { name: 'DNS, try again', error: err('EAI_AGAIN'), code: 'UPSTREAM_UNREACHABLE' },
  { name: 'reset, no TLS history', error: err('ECONNRESET'), code: 'UPSTREAM_UNREACHABLE' },
  { name: 'undici socket error, wrapped', error: wrapped(err('UND_ERR_SOCKET')), code: 'UPSTREAM_UNREACHABLE' },
  { name: 'closed before secure TLS connection', error: err('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established'), code: 'UPSTREAM_TLS_ERROR', refused: true },
  { name: 'connect timeout', error: err('UND_ERR_CONNECT_TIMEOUT'), code: 'UPSTREAM_TIMEOUT', message: /CONNECT_TIMEOUT_MS/ },
  { name: 'headers timeout', error: wrapped(err('UND_ERR_HEADERS_TIMEOUT')), code: 'UPSTREAM_TIMEOUT', message: /UPSTREAM_TIMEOUT_MS/ },
  { name: 'body timeout', error: err('UND_ERR_BODY_TIMEOUT'), code: 'UPSTREAM_TIMEOUT', message: /UPSTREAM_BODY_TIMEOUT_MS/ },
  { name: 'untrusted upstream', error: err('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), code: 'UPSTREAM_TLS_ERROR', refused: false, message: /TLS_CA_FILE/ },
  { name: 'self-signed upstream', error: err('DEPTH_ZERO_SELF_SIGNED_CERT'), code: 'UPSTREAM_TLS_ERROR', refused: false },
  { name: 'name mismatch', error: err('ERR_TLS_CERT_ALTNAME_INVALID'), code: 'UPSTREAM_TLS_ERROR', refused: false, message: /name mismatch/ },
  { name: 'upstream certificate expired', error: err('CERT_HAS_EXPIRED'), code: 'UPSTREAM_TLS_ERROR', refused: false },
  { name: 'alert: unknown CA', error: err('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), code: 'UPSTREAM_TLS_ERROR', refused: true, message: /does not trust the issuer/ },
  { name: 'alert: bad certificate', error: err('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), code: 'UPSTREAM_TLS_ERROR', refused: true },
  { name: 'alert: certificate revoked', error: err('ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED'), code: 'UPSTREAM_TLS_ERROR', refused: true, message: /revoked/ },
  { name: 'alert: certificate expired', error: err('ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED'), code: 'UPSTREAM_TLS_ERROR', refused: true },
  { name: 'alert: access denied', error: err('ERR_SSL_TLSV1_ALERT_ACCESS_DENIED'), code: 'UPSTREAM_TLS_ERROR', refused: true },
  { name: 'alert: certificate required (TLS 1.3)', error: err('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), code: 'UPSTREAM_TLS_ERROR', refused: true },
  { name: 'not TLS at all', error: err('ERR_SSL_WRONG_VERSION_NUMBER'), code: 'UPSTREAM_TLS_ERROR', refused: false, message: /really a TLS endpoint/ },
  { name: 'parser refusal', error: Object.assign(err(undefined, 'Response does not match the HTTP/1.1 protocol (Invalid header value char)'), { name: 'HTTPParserError' }), code: 'UPSTREAM_BAD_RESPONSE', message: /invalid header value char/ },
  { name: 'parser code', error: err('HPE_INVALID_CONSTANT'), code: 'UPSTREAM_BAD_RESPONSE' },
  { name: 'content-length mismatch', error: err('UND_ERR_RES_CONTENT_LENGTH_MISMATCH'), code: 'UPSTREAM_BAD_RESPONSE' },
  { name: 'headers overflow', error: err('UND_ERR_HEADERS_OVERFLOW'), code: 'UPSTREAM_BAD_RESPONSE' },
  { name: 'status Fastify cannot write', error: err('FST_ERR_BAD_STATUS_CODE'), code: 'UPSTREAM_BAD_RESPONSE', message: /between 100 and 599/ },
  { name: 'status Node cannot write', error: err('ERR_HTTP_INVALID_STATUS_CODE'), code: 'UPSTREAM_BAD_RESPONSE' },
  { name: 'an assertion about something else', error: err('ERR_ASSERTION', 'false == true'), code: 'INTERNAL_ERROR' },
  { name: 'no code at all', error: new Error('?'), code: 'INTERNAL_ERROR' },
  { name: 'not an error', error: undefined, code: 'INTERNAL_ERROR' },
  { name: 'the sidecar\'s own, wrapped', error: wrapped(new SidecarRequestError('BODY_TOO_LARGE', 'too big')), code: 'BODY_TOO_LARGE' },
  { name: 'the sidecar\'s own, as is', error: new SidecarRequestError('UPSTREAM_BUSY', 'busy'), code: 'UPSTREAM_BUSY' }
]

for (const row of ROWS) {
  t.test(row.name, async (t) => {
    const got = classifyUpstreamError(row.error, new SocketFates(), 'mtls.example.test')
    t.equal(got.code, row.code)
    if (row.refused !== undefined) t.equal(got.clientCertificateRefused, row.refused, 'whether our certificate was refused')
    if (row.message !== undefined) t.match(got.message, row.message)
    t.ok(got instanceof SidecarRequestError)
  })
}
