import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CertificateAuthority, IssuedCertificate, IssueOptions } from '../../src/mock/pki.js'
import { pki, type Teardown } from './harness.js'
import { K8sSecretDir } from './k8s-secret-dir.js'

const DAY = 86_400_000

/** A member to put in the set: its folder name and how its certificate is issued. */
export interface MemberSpec {
  name: string
  /** Days from now (negative: in the past). */
  fromDays?: number
  toDays?: number
  /** Issued by another CA (the upstream answers `unknown_ca`). */
  from?: CertificateAuthority
  usage?: IssueOptions['usage']
}

export interface SetDir {
  /** TLS_IDENTITIES_DIR */
  root: string
  members: Record<string, { secret: K8sSecretDir, cert: IssuedCertificate }>
  /** Adds a member folder laid out as a mounted Kubernetes TLS Secret. */
  add: (spec: MemberSpec) => Promise<IssuedCertificate>
}

/** A throwaway TLS_IDENTITIES_DIR, removed at teardown: one Kubernetes-style Secret folder per member. */
export async function identitySetDir (t: Teardown, specs: MemberSpec[]): Promise<SetDir> {
  const root = mkdtempSync(join(tmpdir(), 'identity-set-'))
  t.teardown(() => { rmSync(root, { recursive: true, force: true }) })
  const set: SetDir = {
    root,
    members: {},
    add: async (spec) => {
      const p = await pki()
      const now = Date.now()
      const cert = await p.issueClient({
        commonName: `member-${spec.name}.test.example`,
        notBefore: new Date(now + (spec.fromDays ?? -1) * DAY),
        notAfter: new Date(now + (spec.toDays ?? 30) * DAY),
        keyType: 'ec',
        ...(spec.usage === undefined ? {} : { usage: spec.usage })
      }, spec.from ?? p.ca)
      const dir = join(root, spec.name)
      mkdirSync(dir, { recursive: true })
      const secret = new K8sSecretDir(dir, { 'tls.crt': cert.certPem, 'tls.key': cert.keyPem })
      set.members[spec.name] = { secret, cert }
      return cert
    }
  }
  for (const spec of specs) await set.add(spec)
  return set
}

/** Serial as the mock records it (Node's X509Certificate: upper-case hex). */
export function seenSerial (cert: IssuedCertificate): string {
  return cert.serialNumber.toUpperCase()
}

export const DAY_MS = DAY
