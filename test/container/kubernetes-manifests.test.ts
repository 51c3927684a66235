import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { DEFAULT_SHUTDOWN_GRACE_MS } from '../../src/config/schema.js'
import { ROOT, run } from './engine.js'

// deploy/kubernetes/: every manifest validates against the Kubernetes schemas
// (kubernetes-models, offline), the kustomization renders, and the pod is
// locked down the way the README says. Needs no container engine.
const DIR = join(ROOT, 'deploy', 'kubernetes')

interface Manifest { apiVersion: string, kind: string, metadata?: { name?: string }, [key: string]: unknown }

/** The kubernetes-models class for apiVersion/kind, e.g. apps/v1 Deployment. */
async function validate (doc: Manifest): Promise<void> {
  const group = doc.apiVersion.includes('/') ? doc.apiVersion : `v1`
  const mod = await import(`kubernetes-models/${group}`) as Record<string, new (data: unknown) => { validate (): void }>
  const Model = mod[doc.kind]
  if (Model === undefined) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`)
  new Model(doc).validate()
}

function load (text: string): Manifest[] {
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw d.errors[0]
    return d.toJS() as Manifest
  }).filter((d) => d !== null)
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
const manifests = files.flatMap((f) => load(readFileSync(join(DIR, f), 'utf8')).map((doc) => ({ file: f, doc })))

t.test('every manifest validates against the Kubernetes schema', async (t) => {
  t.ok(manifests.length >= 2, `found ${manifests.length} manifests`)
  for (const { file, doc } of manifests) {
    await t.resolves(validate(doc), `${file}: ${doc.kind} ${doc.metadata?.name ?? ''}`)
  }
})

t.test('the schema check does catch a broken manifest', async (t) => {
  const deployment = structuredClone(manifests.find((m) => m.doc.kind === 'Deployment')?.doc) as any
  deployment.spec.template.spec.terminationGracePeriodSeconds = 'thirty'
  await t.rejects(validate(deployment))
})

const pod = (manifests.find((m) => m.doc.kind === 'Deployment')?.doc as any)?.spec?.template?.spec

t.test('the pod: sidecar and app, locked down, probes on the admin port, grace above SHUTDOWN_GRACE_MS', async (t) => {
  t.ok(pod, 'a Deployment with a pod template')
  const sidecar = [...pod.initContainers ?? [], ...pod.containers].find((c: any) => c.name === 'trulioo-mtls-sidecar')
  const app = pod.containers.find((c: any) => c.name === 'app')
  t.ok(sidecar && app, 'an app container and the sidecar')
  t.ok(pod.terminationGracePeriodSeconds * 1000 > DEFAULT_SHUTDOWN_GRACE_MS, 'terminationGracePeriodSeconds above SHUTDOWN_GRACE_MS')
  const env = Object.fromEntries(sidecar.env.map((e: { name: string, value: string }) => [e.name, e.value]))
  t.ok(pod.terminationGracePeriodSeconds * 1000 > Number(env.SHUTDOWN_GRACE_MS), 'and above the SHUTDOWN_GRACE_MS it sets')
  t.match(pod.securityContext, { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } })
  for (const c of [sidecar, app]) {
    t.match(c.securityContext, { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, `${c.name} securityContext`)
    t.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.memory, `${c.name} resources`)
  }
  const admin = sidecar.ports.find((p: any) => p.name === 'admin')
  t.equal(admin?.containerPort, 9090)
  t.match(sidecar.livenessProbe, { httpGet: { path: '/livez', port: 'admin' } })
  t.match(sidecar.readinessProbe, { httpGet: { path: '/readyz', port: 'admin' } })
  t.equal(env.ADMIN_HOST, '0.0.0.0', 'the kubelet can reach the admin port')
  t.equal(env.LISTEN_HOST, '127.0.0.1', 'the proxy only for this pod')
  for (const name of ['TLS_CERT_FILE', 'TLS_KEY_FILE', 'TLS_PASSPHRASE_FILE', 'TRULIOO_USERNAME_FILE', 'TRULIOO_PASSWORD_FILE']) {
    t.match(env[name], /^\/etc\/trulioo\//, `${name} is a mounted file`)
  }
  t.notOk(sidecar.env.some((e: any) => /^(TRULIOO_PASSWORD|TRULIOO_USERNAME|TLS_PASSPHRASE)$/.test(e.name)), 'no secret as an environment variable')
  t.notOk(app.volumeMounts, 'the app mounts no secret')
  const mount = sidecar.volumeMounts.find((m: any) => m.mountPath === '/etc/trulioo')
  t.ok(mount?.readOnly, 'secret mounted read-only')
  t.notOk(mount?.subPath, 'no subPath: updates reach the files')
  const volume = pod.volumes.find((v: any) => v.name === mount.name)
  t.equal(volume.secret.defaultMode, 0o400)
  const secret = manifests.find((m) => m.doc.kind === 'Secret')?.doc as any
  t.equal(volume.secret.secretName, secret.metadata.name)
  t.same(Object.keys(secret.stringData).sort(), ['client.key', 'client.pem', 'passphrase', 'password', 'username'])
  t.notMatch(JSON.stringify(secret), /-----BEGIN/, 'placeholders only, no key material')
})

t.test('kubectl kustomize renders the kustomization, and what it renders validates', async (t) => {
  const kubectl = await run('kubectl', ['version', '--client'], { timeoutMs: 30_000 })
  if (kubectl.code !== 0) {
    t.comment('SKIP kubectl is not installed: the kustomization is not rendered (the manifests above were still validated)')
    return
  }
  const rendered = await run('kubectl', ['kustomize', DIR], { timeoutMs: 60_000 })
  t.equal(rendered.code, 0, rendered.stderr)
  const docs = load(rendered.stdout)
  t.same(docs.map((d) => d.kind).sort(), ['Deployment'], 'the example Secret is not applied: it would overwrite the real one')
  for (const doc of docs) await t.resolves(validate(doc), `rendered ${doc.kind}`)
  const image = (docs.find((d) => d.kind === 'Deployment') as any).spec.template.spec.initContainers[0].image
  t.equal(image, 'trulioo-mtls-sidecar:0.1.0', 'the kustomization pins the sidecar image tag')
})
