import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { DEFAULT_SHUTDOWN_GRACE_MS } from '../../src/config/schema.js'
import { ROOT } from './engine.js'
import { load, type Manifest, podSpec, podTemplate, render, validate } from './kustomize.js'

// deploy/kubernetes/components/sidecar, a kustomize Component, applied by the
// two example overlays to two workload kinds (a Deployment, a CronJob's pod
// template): each renders, validates against the Kubernetes schemas, and gets
// the same locked-down native sidecar. Needs kubectl, no engine, no cluster.
const DIR = join(ROOT, 'deploy', 'kubernetes')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
const overlays = { Deployment: join(DIR, 'examples', 'deployment'), CronJob: join(DIR, 'examples', 'cronjob') }

function sidecarOf (doc: Manifest): any {
  return (podSpec(doc)?.initContainers ?? []).find((c: any) => c.name === 'trulioo-mtls-sidecar')
}

const rendered: Partial<Record<keyof typeof overlays, Manifest[]>> = {}

for (const [kind, dir] of Object.entries(overlays) as Array<[keyof typeof overlays, string]>) {
  t.test(`the ${kind} overlay renders, validates, and its pod gets the sidecar`, async (t) => {
    const docs = await render(t, dir)
    if (docs === undefined) return
    rendered[kind] = docs
    t.same(docs.map((d) => d.kind).sort(), [kind, 'NetworkPolicy'].sort(), 'the workload and the NetworkPolicy; no placeholder Secret')
    for (const doc of docs) await t.resolves(validate(doc), `${doc.kind} ${doc.metadata?.name ?? ''} validates`)

    const workload = docs.find((d) => d.kind === kind)!
    const pod = podSpec(workload)
    const sidecar = sidecarOf(workload)
    t.ok(sidecar, 'the sidecar is an init container')
    t.equal(sidecar.restartPolicy, 'Always', 'a native sidecar: started before the app, stopped after it')
    t.same(pod.containers.map((c: any) => c.name), ['app'], 'the app is untouched')
    t.equal(sidecar.image, `REGISTRY/trulioo-mtls-sidecar:${pkg.version}`, 'a registry placeholder, tagged with package.json\'s version')

    t.match(sidecar.startupProbe, { httpGet: { path: '/readyz', port: 'admin' } })
    t.match(sidecar.livenessProbe, { httpGet: { path: '/livez', port: 'admin' } })
    t.match(sidecar.readinessProbe, { httpGet: { path: '/readyz', port: 'admin' } })
    t.equal(sidecar.ports.find((p: any) => p.name === 'admin')?.containerPort, 9090)
    t.match(sidecar.resources, { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } })
    t.match(sidecar.securityContext, {
      runAsNonRoot: true, runAsUser: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' }
    })
    t.equal(pod.securityContext.fsGroup, 1000, 'the Secrets\' files are readable by uid 1000')
    t.equal(pod.securityContext.runAsNonRoot, true, 'the app\'s own pod settings are kept')
    t.ok((pod.terminationGracePeriodSeconds ?? 30) * 1000 > DEFAULT_SHUTDOWN_GRACE_MS, 'grace period above SHUTDOWN_GRACE_MS')

    const env = Object.fromEntries(sidecar.env.map((e: { name: string, value: string }) => [e.name, e.value]))
    t.equal(env.LISTEN_HOST, '127.0.0.1', 'the proxy only for this pod')
    t.equal(env.ADMIN_HOST, '0.0.0.0', 'the kubelet can probe the admin port')
    t.equal(env.TLS_CERT_FILE, '/etc/trulioo/identity/tls.crt')
    t.equal(env.TLS_KEY_FILE, '/etc/trulioo/identity/tls.key')
    t.equal(env.TRULIOO_USERNAME_FILE, '/etc/trulioo/credentials/username')
    t.equal(env.TRULIOO_PASSWORD_FILE, '/etc/trulioo/credentials/password')
    t.ok((pod.terminationGracePeriodSeconds ?? 30) * 1000 > Number(env.SHUTDOWN_GRACE_MS), 'and above the SHUTDOWN_GRACE_MS it sets')
    t.notOk(sidecar.env.some((e: any) => /^(TRULIOO_PASSWORD|TRULIOO_USERNAME|TLS_PASSPHRASE)$/.test(e.name) || e.valueFrom !== undefined), 'no secret as an environment variable')
    t.notOk(pod.containers[0].volumeMounts, 'the app mounts no secret')

    const volumes = Object.fromEntries(pod.volumes.map((v: any) => [v.name, v]))
    for (const [mountPath, secretName] of [['/etc/trulioo/identity', 'trulioo-mtls-sidecar-identity'], ['/etc/trulioo/credentials', 'trulioo-mtls-sidecar-credentials']]) {
      const mount = sidecar.volumeMounts.find((m: any) => m.mountPath === mountPath)
      t.ok(mount?.readOnly, `${mountPath} read-only`)
      t.notOk(mount?.subPath, `${mountPath}: no subPath, so Secret updates reach the files`)
      t.equal(volumes[mount.name]?.secret?.secretName, secretName)
      t.equal(volumes[mount.name]?.secret?.defaultMode, 0o400)
    }

    const template = podTemplate(workload)
    t.equal(template.metadata.labels['trulioo-mtls-sidecar.io/injected'], 'true', 'the label the NetworkPolicy selects')
    t.match(template.metadata.annotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'prometheus.io/path': '/metrics' })
  })
}

t.test('the two workload kinds get the very same sidecar', async (t) => {
  const [a, b] = [rendered.Deployment, rendered.CronJob]
  if (a === undefined || b === undefined) return t.comment('SKIP not rendered')
  const pick = (docs: Manifest[]): unknown => {
    const workload = docs.find((d) => d.kind !== 'NetworkPolicy')!
    const pod = podSpec(workload)
    return { sidecar: sidecarOf(workload), volumes: pod.volumes, fsGroup: pod.securityContext.fsGroup, metadata: podTemplate(workload).metadata.annotations }
  }
  t.same(pick(b), pick(a), 'pod-template.patch.yaml and cronjob.patch.yaml agree')
})

t.test('a workload without the annotation is left alone; an overlay\'s images entry sets the registry', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'tmsc-kustomize-'))
  t.teardown(() => { rmSync(work, { recursive: true, force: true }) })
  cpSync(DIR, join(work, 'kubernetes'), { recursive: true })
  const overlay = join(work, 'kubernetes', 'examples', 'mine')
  cpSync(join(work, 'kubernetes', 'examples', 'deployment'), overlay, { recursive: true })
  const other = readFileSync(join(overlay, 'deployment.yaml'), 'utf8')
    .replace('name: legacy-app\n  labels', 'name: other-app\n  labels').replace(/ {2}annotations:\n {4}trulioo-mtls-sidecar\.io\/inject: "true"\n/, '')
  writeFileSync(join(overlay, 'other.yaml'), other)
  // what `kustomize edit set image REGISTRY/trulioo-mtls-sidecar=…` writes
  writeFileSync(join(overlay, 'kustomization.yaml'), readFileSync(join(overlay, 'kustomization.yaml'), 'utf8')
    .replace('  - deployment.yaml\n', '  - deployment.yaml\n  - other.yaml\n')
    .replace(/images:\n[\s\S]*$/, 'images:\n  - name: REGISTRY/trulioo-mtls-sidecar\n    newName: registry.example.com/platform/trulioo-mtls-sidecar\n    newTag: "9.9.9"\n'))
  const docs = await render(t, overlay)
  if (docs === undefined) return
  const byName = (name: string): Manifest => docs.find((d) => d.metadata?.name === name)!
  t.equal(sidecarOf(byName('legacy-app'))?.image, 'registry.example.com/platform/trulioo-mtls-sidecar:9.9.9')
  t.notOk(podSpec(byName('other-app')).initContainers, 'no annotation, no sidecar')
})

t.test('the example Secrets: the identity kubernetes.io/tls, the credentials Opaque, placeholders only', async (t) => {
  const docs = load(readFileSync(join(DIR, 'secrets.example.yaml'), 'utf8'))
  for (const doc of docs) await t.resolves(validate(doc), `${doc.kind} ${doc.metadata?.name ?? ''}`)
  const byName = Object.fromEntries(docs.map((d) => [d.metadata?.name, d as any]))
  t.equal(byName['trulioo-mtls-sidecar-identity'].type, 'kubernetes.io/tls')
  t.same(Object.keys(byName['trulioo-mtls-sidecar-identity'].stringData).sort(), ['tls.crt', 'tls.key'])
  t.equal(byName['trulioo-mtls-sidecar-credentials'].type, 'Opaque')
  t.same(Object.keys(byName['trulioo-mtls-sidecar-credentials'].stringData).sort(), ['password', 'username'])
  t.notMatch(JSON.stringify(docs), /-----BEGIN/, 'no key material')
})

t.test('the schema check does catch a broken manifest', async (t) => {
  const docs = await render(t, overlays.Deployment)
  if (docs === undefined) return
  const deployment = structuredClone(docs.find((d) => d.kind === 'Deployment')) as any
  deployment.spec.template.spec.initContainers[0].restartPolicy = 7
  await t.rejects(validate(deployment))
})
