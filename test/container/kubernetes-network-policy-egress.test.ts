import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from './engine.js'
import { load, podTemplate, render, validate } from './kustomize.js'

// The component's NetworkPolicy: the pods with the sidecar may send DNS
// queries and TCP to port 443, nothing else; ingress is not touched; it
// selects exactly the pods the component patched.
const DIR = join(ROOT, 'deploy', 'kubernetes')
const [policy] = load(readFileSync(join(DIR, 'components', 'sidecar', 'network-policy.yaml'), 'utf8')) as any[]

/** The rules the policy must hold, by name, and nothing more. */
const EXPECTED: Record<string, Array<{ protocol: string, port: number }>> = {
  dns: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
  https: [{ protocol: 'TCP', port: 443 }]
}

t.test('egress only: dns (UDP and TCP 53) and https (TCP 443), to any destination', async (t) => {
  await t.resolves(validate(policy))
  t.same(policy.spec.policyTypes, ['Egress'], 'ingress untouched')
  const rules = policy.spec.egress as Array<{ to?: unknown, ports: Array<{ protocol: string, port: number }> }>
  const named = (ports: Array<{ protocol: string, port: number }>): string | undefined =>
    Object.entries(EXPECTED).find(([, expected]) => JSON.stringify(expected) === JSON.stringify(ports))?.[0]
  t.same(rules.map((r) => named(r.ports)).sort(), Object.keys(EXPECTED).sort(), 'the rules are dns and https, each once')
  for (const rule of rules) t.notOk(rule.to, `${named(rule.ports) ?? '?'}: no destination narrowing (Trulioo publishes no fixed addresses)`)
  const open = rules.flatMap((r) => r.ports).filter((p) => !(p.port === 53 || (p.protocol === 'TCP' && p.port === 443)))
  t.same(open, [], 'no other port is open')
})

t.test('it selects the pods the component adds the sidecar to, in both overlays', async (t) => {
  for (const overlay of ['deployment', 'cronjob']) {
    const docs = await render(t, join(DIR, 'examples', overlay))
    if (docs === undefined) return
    const rendered = docs.find((d) => d.kind === 'NetworkPolicy') as any
    t.same(rendered.spec.egress, policy.spec.egress, `${overlay}: the rules as written`)
    const labels = podTemplate(docs.find((d) => d.kind !== 'NetworkPolicy')!).metadata.labels
    for (const [key, value] of Object.entries(rendered.spec.podSelector.matchLabels as Record<string, string>)) {
      t.equal(labels[key], value, `${overlay}: the pod carries ${key}=${value}`)
    }
  }
})
