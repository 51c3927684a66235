import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import t from 'tap'
import { createCertificateAuthority, issueCertificate } from '../../src/mock/pki.js'
import { pemCertificates, secureContextTrusting } from '../../src/tls-trust.js'
import { pki, type Teardown } from '../helpers/harness.js'

// TLS_CA_FILE (and EGRESS_PROXY_CA_FILE) add their certificates to Node's
// default roots without parsing the roots again: the context is built from
// Node's shared store, which is copied before the file's CA goes in. These
// handshakes are real, on loopback, with verification on. (That the default
// roots stay trusted needs a public root's key to show in a handshake; it
// rests on Node copying its shared store, see src/tls-trust.ts.)

async function tlsServer (t: Teardown, cert: string, key: string): Promise<number> {
  const server = tls.createServer({ cert, key }, (socket) => { socket.end('hello') })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  return (server.address() as AddressInfo).port
}

async function handshake (port: number, secureContext: tls.SecureContext): Promise<string> {
  return await new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext })
    socket.once('secureConnect', () => { socket.destroy(); resolve('trusted') })
    socket.once('error', (err: NodeJS.ErrnoException) => { socket.destroy(); resolve(err.code ?? err.message) })
  })
}

t.test('a context with the file\'s CA trusts a server that CA signed, and nothing else was added to the shared roots', async (t) => {
  const p = await pki()
  const port = await tlsServer(t, p.server.certPem, p.server.keyPem)

  const withFile = secureContextTrusting({ minVersion: 'TLSv1.2' }, [p.ca.certPem])
  t.equal(await handshake(port, withFile), 'trusted', 'the file\'s CA verifies the server')

  // The shared store must be copied, never written: a context built with the
  // defaults afterwards still refuses the private CA.
  const plain = tls.createSecureContext({ minVersion: 'TLSv1.2' })
  t.equal(await handshake(port, plain), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'the defaults alone do not know the private CA')
  t.equal(await handshake(port, secureContextTrusting({}, undefined)), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'no extra CA: the defaults only')
})

t.test('a server signed by another CA is still refused', async (t) => {
  const p = await pki()
  const rogue = await createCertificateAuthority('Rogue CA')
  const server = await issueCertificate(rogue, { commonName: 'localhost', altNames: ['localhost', '127.0.0.1'], usage: 'server' })
  const port = await tlsServer(t, server.certPem, server.keyPem)
  t.equal(await handshake(port, secureContextTrusting({}, [p.ca.certPem])), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')
})

t.test('pemCertificates names what is wrong with a CA file', async (t) => {
  const p = await pki()
  t.same(pemCertificates(`${p.ca.certPem}\n${p.server.certPem}`), [p.ca.certPem.trim(), p.server.certPem.trim()])
  t.equal(pemCertificates('not a certificate'), 'none')
  t.equal(pemCertificates('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), 'unparsable')
})
