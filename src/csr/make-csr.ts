import 'reflect-metadata'
import { createPrivateKey, webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import type { Subject } from './subject-rules.js'

x509.cryptoProvider.set(webcrypto as unknown as Crypto)

export type CsrKeyType = 'rsa' | 'ec'

/** RSA 2048 with SHA-256, as Trulioo's guide uses; P-256 ECDSA for `--key-type ec`. */
const ALGORITHMS = {
  rsa: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 },
  ec: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
} as const

export interface MadeCsr {
  /** PKCS#8 PEM; `BEGIN ENCRYPTED PRIVATE KEY` (AES-256-CBC) when a passphrase was given. */
  readonly keyPem: string
  readonly csrPem: string
  readonly encrypted: boolean
}

export interface MakeCsrOptions {
  subject: Subject
  keyType?: CsrKeyType
  passphrase?: string | undefined
}

/**
 * A new key pair and a PKCS#10 request signed with it, made in-process. The
 * subject carries C, ST, L, O and CN; the subjectAltName extension lists the
 * common name and every extra DNS name, because TLS stacks read names there.
 */
export async function makeCsr (options: MakeCsrOptions): Promise<MadeCsr> {
  const algorithm = ALGORITHMS[options.keyType ?? 'rsa']
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']) as CryptoKeyPair
  const { subject } = options
  const name = new x509.Name([
    { C: [{ printableString: subject.country }] },
    { ST: [text(subject.state)] },
    { L: [text(subject.locality)] },
    { O: [text(subject.organization)] },
    { CN: [text(subject.commonName)] }
  ])
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.SubjectAlternativeNameExtension(subject.dnsNames.map((value) => ({ type: 'dns' as const, value })))
    ]
  })

  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  const passphrase = options.passphrase === undefined || options.passphrase === '' ? undefined : options.passphrase
  const keyPem = passphrase === undefined
    ? key.export({ type: 'pkcs8', format: 'pem' }) as string
    : key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string
  return { keyPem, csrPem: csr.toString('pem'), encrypted: passphrase !== undefined }
}

/** PrintableString when it can be (what openssl writes), UTF8String otherwise. */
function text (value: string): { printableString: string } | { utf8String: string } {
  return x509.Name.isPrintableString(value) ? { printableString: value } : { utf8String: value }
}
