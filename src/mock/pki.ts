import 'reflect-metadata'
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'

/**
 * A throwaway PKI, made in-process (no openssl binary): a CA, server and
 * client certificates with settable validity. Used by `demo`, by the mock
 * upstream and by the tests. Nothing here is meant to protect anything.
 */

x509.cryptoProvider.set(webcrypto as unknown as Crypto)

export type KeyType = 'rsa' | 'ec'

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }

export interface KeyPairPem {
  /** Unencrypted PKCS#8 PEM. */
  readonly keyPem: string
  readonly keys: CryptoKeyPair
  readonly algorithm: typeof RSA | typeof EC
}

export interface IssuedCertificate extends KeyPairPem {
  readonly certPem: string
  readonly serialNumber: string
}

export interface CertificateAuthority extends IssuedCertificate {
  readonly name: string
}

export interface IssueOptions {
  commonName: string
  /** DNS names and IP addresses for the subjectAltName. */
  altNames?: string[]
  notBefore?: Date
  notAfter?: Date
  /** Which way the certificate is used (extended key usage). */
  usage: 'server' | 'client'
  keyType?: KeyType
  /** Extra subject attributes, e.g. `O=Demo Corp, C=CA`. */
  subjectPrefix?: string
}

export async function generateKeyPair (keyType: KeyType = 'rsa'): Promise<KeyPairPem> {
  const algorithm = keyType === 'rsa' ? RSA : EC
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']) as CryptoKeyPair
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
  const keyPem = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string
  return { keyPem, keys, algorithm }
}

function serial (): string {
  // positive, 16 bytes, as CAs do
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0] as number) & 0x7f | 0x10
  return bytes.toString('hex')
}

const hour = 3_600_000

export async function createCertificateAuthority (name = 'Throwaway Test CA', notAfter?: Date): Promise<CertificateAuthority> {
  const pair = await generateKeyPair('rsa')
  const serialNumber = serial()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber,
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - hour),
    notAfter: notAfter ?? new Date(Date.now() + 24 * hour),
    keys: pair.keys,
    signingAlgorithm: pair.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(pair.keys.publicKey)
    ]
  })
  return { ...pair, certPem: cert.toString('pem'), serialNumber, name }
}

/** A CA signed by `parent`, for certificates that come with a chain. */
export async function createIntermediateAuthority (parent: CertificateAuthority, name: string, notAfter?: Date): Promise<CertificateAuthority> {
  const pair = await generateKeyPair('rsa')
  const serialNumber = serial()
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: `CN=${name}`,
    issuer: `CN=${parent.name}`,
    notBefore: new Date(Date.now() - hour),
    notAfter: notAfter ?? new Date(Date.now() + 24 * hour),
    publicKey: pair.keys.publicKey,
    signingKey: parent.keys.privateKey,
    signingAlgorithm: parent.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(pair.keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(parent.keys.publicKey)
    ]
  })
  return { ...pair, certPem: cert.toString('pem'), serialNumber, name }
}

export async function issueCertificate (ca: CertificateAuthority, options: IssueOptions): Promise<IssuedCertificate> {
  const pair = await generateKeyPair(options.keyType ?? 'rsa')
  const serialNumber = serial()
  const altNames = (options.altNames ?? []).map((value) =>
    /^[\d.]+$|:/.test(value) ? { type: 'ip' as const, value } : { type: 'dns' as const, value })
  const usage = options.usage === 'server' ? '1.3.6.1.5.5.7.3.1' : '1.3.6.1.5.5.7.3.2'
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([usage]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey)
  ]
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames))
  const subject = options.subjectPrefix === undefined ? `CN=${options.commonName}` : `${options.subjectPrefix}, CN=${options.commonName}`
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject,
    issuer: `CN=${ca.name}`,
    notBefore: options.notBefore ?? new Date(Date.now() - hour),
    notAfter: options.notAfter ?? new Date(Date.now() + 24 * hour),
    publicKey: pair.keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ca.algorithm,
    extensions
  })
  return { ...pair, certPem: cert.toString('pem'), serialNumber }
}

/**
 * The key encrypted with a passphrase (AES-256-CBC): `pkcs8` gives
 * `BEGIN ENCRYPTED PRIVATE KEY`, `traditional` gives `BEGIN RSA PRIVATE KEY`
 * with `Proc-Type: 4,ENCRYPTED` (RSA keys only).
 */
export function encryptKey (keyPem: string, passphrase: string, format: 'pkcs8' | 'traditional' = 'pkcs8'): string {
  const key = createPrivateKey(keyPem)
  const type = format === 'pkcs8' ? 'pkcs8' : key.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs1'
  return key.export({ type, format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string
}
