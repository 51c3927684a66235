import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from './engine.js'
import { load, podSpec, podTemplate, render, validate } from './kustomize.js'

// The optional PodMonitor (its own file and kustomization) validates against
// the Prometheus Operator's schema and scrapes the port and path the sidecar
// serves metrics on, in the pods the component patched.
const DIR = join(ROOT, 'deploy', 'kubernetes')

t.test('the PodMonitor validates and points at the sidecar\'s admin port', async (t) => {
  const docs = await render(t, join(DIR, 'monitoring'))
  const monitors = docs ?? load(readFileSync(join(DIR, 'monitoring', 'podmonitor.yaml'), 'utf8'))
  t.same(monitors.map((d) => d.kind), ['PodMonitor'])
  const monitor = monitors[0] as any
  await t.resolves(validate(monitor))
  t.same(monitor.spec.podMetricsEndpoints.map((e: any) => [e.port, e.path]), [['admin', '/metrics']])

  const app = await render(t, join(DIR, 'examples', 'deployment'))
  if (app === undefined) return
  const workload = app.find((d) => d.kind === 'Deployment')!
  const sidecar = podSpec(workload).initContainers.find((c: any) => c.name === 'trulioo-mtls-sidecar')
  t.ok(sidecar.ports.some((p: any) => p.name === 'admin'), 'the sidecar names its admin port "admin"')
  const labels = podTemplate(workload).metadata.labels
  for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels as Record<string, string>)) t.equal(labels[key], value, `selects ${key}=${value}`)
  t.equal(podTemplate(workload).metadata.annotations['prometheus.io/port'], String(sidecar.ports.find((p: any) => p.name === 'admin').containerPort), 'the scrape annotation names the same port')
})
