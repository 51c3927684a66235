import 'reflect-metadata'
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as x509 from '@peculiar/x509'
import type { Teardown } from './harness.js'

x509.cryptoProvider.set(webcrypto as unknown as Crypto)

export const SUBJECT_FLAGS = [
  '--country', 'CA', '--state', 'British Columbia', '--locality', 'Vancouver',
  '--organization', 'Acme Widgets Inc', '--common-name', 'api.acme.example'
]

/** An empty folder for one test, removed after it. */
export function outDir (t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-csr-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export function filesIn (dir: string): string[] {
  return readdirSync(dir).sort()
}

export interface ParsedCsr {
  csr: x509.Pkcs10CertificateRequest
  subject: Record<string, string>
  dnsNames: string[]
  verified: boolean
  /** True when the key file's public key is the CSR's. */
  keyMatches: boolean
}

export async function parseCsr (csrPem: string, keyPem: string, passphrase?: string): Promise<ParsedCsr> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem)
  const subject: Record<string, string> = {}
  for (const rdn of csr.subjectName.toJSON()) for (const [k, v] of Object.entries(rdn)) subject[k] = v.join('+')
  const san = csr.getExtension('2.5.29.17') as x509.SubjectAlternativeNameExtension | null
  const dnsNames = (san?.names.toJSON() ?? []).filter((n) => n.type === 'dns').map((n) => n.value)
  const key = createPrivateKey({ key: keyPem, ...(passphrase === undefined ? {} : { passphrase }) })
  // compared as JWK: the DER of an RSA key's algorithm parameters may differ in encoding only
  const fromKey = createPublicKey(key).export({ format: 'jwk' })
  const fromCsr = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' }).export({ format: 'jwk' })
  const keyMatches = JSON.stringify(fromKey) === JSON.stringify(fromCsr)
  return { csr, subject, dnsNames, verified: await csr.verify(), keyMatches }
}
