import t from 'tap'
import { createCertificateAuthority } from '../../../src/mock/pki.js'
import { call, client, pki, startMock, startProxy } from '../../helpers/harness.js'

// A client certificate from a CA the upstream does not trust. Over TLS 1.2 the
// refusal is an alert inside the handshake; over TLS 1.3 it arrives after
// undici thinks the connection is up, and must still be named as a refusal.
for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
  t.test(`a client certificate the upstream does not trust gives 502 UPSTREAM_TLS_ERROR (${maxVersion})`, async (t) => {
    const p = await pki()
    const otherCa = await createCertificateAuthority('Some Other CA')
    const stranger = await p.issueClient({ commonName: 'stranger.example' }, otherCa)
    const mock = await startMock(t, { maxVersion })
    const { url } = await startProxy(t, mock, {
      TLS_CERT_FILE: p.write('stranger.pem', stranger.certPem),
      TLS_KEY_FILE: p.write('stranger.key', stranger.keyPem)
    })
    const res = await call(client(t), `${url}/connection/v1/testauthentication`)
    t.equal(res.status, 502)
    t.equal(res.headers['x-sidecar-error'], 'UPSTREAM_TLS_ERROR')
    const body = res.json<{ error: { code: string, message: string, requestId: string } }>()
    t.equal(body.error.code, 'UPSTREAM_TLS_ERROR')
    t.match(body.error.message, /client certificate/, 'the message names the client certificate')
    t.match(body.error.message, /refus|reject|does not trust/, 'and says it was refused')
    t.equal(body.error.requestId, res.headers['x-request-id'])
    t.equal(mock.requests.length, 0, 'no request was handled by the mock')

    // With a body in flight when the refusal lands, the socket is reset before
    // the TLS alert can be read: still a refused certificate, not "unreachable".
    for (const size of [100_000, 2_000_000]) {
      const post = await call(client(t), `${url}/verifications/v1/verify`, { method: 'POST', body: Buffer.alloc(size, 'v'), headers: { 'content-type': 'application/json' } })
      t.equal(post.status, 502, `POST ${size} bytes: 502`)
      t.equal(post.headers['x-sidecar-error'], 'UPSTREAM_TLS_ERROR', `POST ${size} bytes: UPSTREAM_TLS_ERROR`)
      t.match(post.json().error.message, /client certificate/, `POST ${size} bytes: ${post.json().error.message}`)
    }
  })
}
