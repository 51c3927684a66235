import forge from 'node-forge'

/** A PKCS#12 file (AES-256, as OpenSSL 3 accepts) holding the key and certificate. */
export function toPkcs12 (keyPem: string, certPem: string, passphrase: string): Buffer {
  const key = forge.pki.privateKeyFromPem(keyPem)
  const cert = forge.pki.certificateFromPem(certPem)
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], passphrase, { algorithm: 'aes256' })
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary')
}
