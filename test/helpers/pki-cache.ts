import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { webcrypto, X509Certificate } from 'node:crypto'
import { ROOT } from './root.js'
import {
  type CertificateAuthority, createCertificateAuthority, type IssuedCertificate, issueCertificate
} from '../../src/mock/pki.js'

/**
 * The suite's throwaway PKI, made once per `tap` run and shared by its test
 * files instead of once per file: RSA key generation was a good part of each
 * file's start-up. Every file of one run has the same parent (the tap runner),
 * so its pid names the run; the first file to need the PKI makes and
 * publishes it. A file run alone just makes its own.
 */
const DIR = resolve(ROOT, '.tap/test-pki')
const DAY = 86_400_000

export interface SuitePki { ca: CertificateAuthority, server: IssuedCertificate, client: IssuedCertificate }

interface Stored { certPem: string, keyPem: string, serialNumber: string }
interface StoredPki { ca: Stored & { name: string }, server: Stored, client: Stored }

export async function suitePki (): Promise<SuitePki> {
  const file = join(DIR, `run-${process.ppid}.json`)
  const cached = await read(file)
  if (cached !== undefined) return cached
  const made = await generate()
  publish(file, made)
  return made
}

async function generate (): Promise<SuitePki> {
  const ca = await createCertificateAuthority('Sidecar Test CA')
  const server = await issueCertificate(ca, { commonName: 'localhost', altNames: ['localhost', '127.0.0.1', '::1'], usage: 'server' })
  const client = await issueCertificate(ca, { commonName: 'client.test.example', usage: 'client' })
  return { ca, server, client }
}

function publish (file: string, made: SuitePki): void {
  try {
    mkdirSync(DIR, { recursive: true, mode: 0o700 })
    // earlier runs' PKIs are of no use to anyone
    for (const name of readdirSync(DIR)) {
      const path = join(DIR, name)
      if (Date.now() - statSync(path).mtimeMs > DAY) rmSync(path, { force: true })
    }
    const pick = (c: IssuedCertificate): Stored => ({ certPem: c.certPem, keyPem: c.keyPem, serialNumber: c.serialNumber })
    const stored: StoredPki = { ca: { ...pick(made.ca), name: made.ca.name }, server: pick(made.server), client: pick(made.client) }
    const tmp = `${file}.${process.pid}`
    writeFileSync(tmp, JSON.stringify(stored), { mode: 0o600 })
    renameSync(tmp, file) // atomic: a reader sees all of it or nothing
  } catch {
    // sharing is an optimisation only
  }
}

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }

async function revive (stored: Stored): Promise<IssuedCertificate> {
  const der = Buffer.from(stored.keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64')
  const publicDer = new X509Certificate(stored.certPem).publicKey.export({ type: 'spki', format: 'der' })
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', der, RSA, true, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', publicDer, RSA, true, ['verify'])
  } as CryptoKeyPair
  return { certPem: stored.certPem, keyPem: stored.keyPem, serialNumber: stored.serialNumber, keys, algorithm: RSA }
}

async function read (file: string): Promise<SuitePki | undefined> {
  let stored: StoredPki
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as StoredPki
  } catch {
    return undefined
  }
  const soonest = Math.min(...[stored.ca, stored.server, stored.client].map((c) => new Date(new X509Certificate(c.certPem).validTo).getTime()))
  if (soonest < Date.now() + 3_600_000) return undefined
  const [ca, server, client] = await Promise.all([revive(stored.ca), revive(stored.server), revive(stored.client)])
  return { ca: { ...ca, name: stored.ca.name }, server, client }
}
