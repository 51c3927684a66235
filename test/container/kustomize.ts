import { parseAllDocuments } from 'yaml'
import { run } from './engine.js'

/**
 * deploy/kubernetes/ offline: `kubectl kustomize` renders, kubernetes-models
 * (and @kubernetes-models/prometheus-operator for the PodMonitor) validate
 * against the Kubernetes schemas. No cluster, no engine.
 */
export interface Manifest { apiVersion: string, kind: string, metadata?: { name?: string, annotations?: Record<string, string> }, [key: string]: unknown }

/** The kubernetes-models class for apiVersion/kind, e.g. apps/v1 Deployment. */
export async function validate (doc: Manifest): Promise<void> {
  const module = doc.apiVersion.startsWith('monitoring.coreos.com/')
    ? `@kubernetes-models/prometheus-operator/${doc.apiVersion}`
    : `kubernetes-models/${doc.apiVersion.includes('/') ? doc.apiVersion : 'v1'}`
  const mod = await import(module) as Record<string, new (data: unknown) => { validate (): void }>
  const Model = mod[doc.kind]
  if (Model === undefined) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`)
  new Model(doc).validate()
}

export function load (text: string): Manifest[] {
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw d.errors[0]
    return d.toJS() as Manifest
  }).filter((d) => d !== null)
}

interface Gate { comment (message: string): void, fail (message: string): void }

/** `kubectl kustomize dir`, or undefined (said, and a failure under CI) without kubectl. */
export async function render (t: Gate, dir: string): Promise<Manifest[] | undefined> {
  const kubectl = await run('kubectl', ['version', '--client'], { timeoutMs: 30_000 })
  if (kubectl.code !== 0) {
    const message = 'kubectl is not installed: the kustomizations cannot be rendered'
    if (process.env.CI === 'true') t.fail(message)
    else t.comment(`SKIP ${message}`)
    return undefined
  }
  const rendered = await run('kubectl', ['kustomize', dir], { timeoutMs: 60_000 })
  if (rendered.code !== 0) throw new Error(`kubectl kustomize ${dir}: ${rendered.stderr}`)
  return load(rendered.stdout)
}

/** The pod spec of a workload, whatever its kind. */
export function podSpec (doc: Manifest): any {
  const spec = doc.spec as any
  return doc.kind === 'CronJob' ? spec?.jobTemplate?.spec?.template?.spec : spec?.template?.spec
}

export function podTemplate (doc: Manifest): any {
  const spec = doc.spec as any
  return doc.kind === 'CronJob' ? spec?.jobTemplate?.spec?.template : spec?.template
}
