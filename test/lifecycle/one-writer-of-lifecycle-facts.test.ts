import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import t from 'tap'
import { Lifecycle } from '../../src/lifecycle.js'
import { FakeClock } from '../helpers/fake-clock.js'
import { ROOT } from '../helpers/root.js'

// In flight, draining and the start-up check have one writer: src/lifecycle.ts.
// Everyone else, tests included, reads them through getters.

const FACTS = ['inFlight', 'draining', 'startupCheckPassed', 'startupCheckDetail']

function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? sources(path) : entry.name.endsWith('.ts') ? [path] : []
  })
}

t.test('no source or test file but src/lifecycle.ts assigns, counts or holds a lifecycle fact', async (t) => {
  const names = FACTS.join('|')
  const forbidden = [
    // x.inFlight++, state.draining = true, this.#draining = …, x.startupCheckPassed ??= …
    new RegExp(`[.#](${names})\\s*(\\+\\+|--|[-+?|&]{0,2}=(?!=))`),
    // ++x.inFlight
    new RegExp(`(\\+\\+|--)\\s*[\\w.#]*[.#](${names})\\b`),
    // a class field of its own: a second copy of the fact (as ConnectionRegistry's #draining was)
    new RegExp(`^\\s*(private\\s+|readonly\\s+)*#?(${names})\\s*(:[^=]*)?=(?![=>])`, 'm'),
    // the old shared object of public fields
    /\bSidecarState\b/
  ]
  const files = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'test'))]
    .filter((f) => relative(ROOT, f) !== join('src', 'lifecycle.ts') && !f.endsWith('one-writer-of-lifecycle-facts.test.ts'))
  t.ok(files.length > 100, 'the scan sees the tree')
  const offences: string[] = []
  for (const file of files) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (forbidden.some((re) => re.test(line))) offences.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`)
    })
  }
  t.same(offences, [], 'only the lifecycle writes its facts')
})

t.test('the scan would catch a write', async (t) => {
  const names = FACTS.join('|')
  const assign = new RegExp(`[.#](${names})\\s*(\\+\\+|--|[-+?|&]{0,2}=(?!=))`)
  for (const line of ['state.inFlight++', 'sidecar.lifecycle.draining = true', 'this.#draining = true', 's.startupCheckPassed ??= false', 'x.inFlight -= 1']) t.ok(assign.test(line), line)
  for (const line of ['if (lifecycle.draining === true)', 'lifecycle.inFlight !== 0', 'draining: () => lifecycle.draining,']) t.notOk(assign.test(line), line)
})

t.test('the facts are getters on a frozen object: writing one throws, and they hold no writer', async (t) => {
  const lifecycle = new Lifecycle(new FakeClock())
  const facts = lifecycle.facts as unknown as Record<string, unknown>
  t.ok(Object.isFrozen(facts), 'frozen')
  t.ok(Object.isFrozen(lifecycle), 'the lifecycle itself is frozen too')
  for (const name of [...FACTS, 'startedAt', 'uptimeMs']) {
    const before = facts[name]
    t.throws(() => { facts[name] = 1 }, TypeError, `facts.${name} cannot be assigned`)
    t.same(facts[name], before, `facts.${name} unchanged`)
    t.equal(typeof Object.getOwnPropertyDescriptor(facts, name)?.get, 'function', `facts.${name} is a getter`)
  }
  t.same(Object.values(Object.getOwnPropertyDescriptors(facts)).filter((d) => typeof d.value === 'function'), [], 'no method on the facts')
  t.throws(() => { (lifecycle as unknown as Record<string, unknown>).draining = true }, TypeError, 'nor on the lifecycle')
  t.throws(() => { (lifecycle as unknown as Record<string, unknown>).inFlight = 5 }, TypeError)
})

t.test('the lifecycle writes each fact on its own event, and the facts follow', async (t) => {
  const clock = new FakeClock()
  const lifecycle = new Lifecycle(clock)
  const { facts } = lifecycle
  t.same({ inFlight: facts.inFlight, draining: facts.draining, passed: facts.startupCheckPassed, detail: facts.startupCheckDetail },
    { inFlight: 0, draining: false, passed: undefined, detail: undefined }, 'at start: nothing in flight, serving, no start-up check')
  lifecycle.requestStarted()
  lifecycle.requestStarted()
  lifecycle.requestEnded()
  t.equal(facts.inFlight, 1)
  lifecycle.startupCheckRequired()
  t.equal(facts.startupCheckPassed, false, 'required: not passed yet')
  lifecycle.startupCheckFailed('the credentials were refused')
  t.same([facts.startupCheckPassed, facts.startupCheckDetail], [false, 'the credentials were refused'])
  lifecycle.startupCheckSucceeded()
  t.same([facts.startupCheckPassed, facts.startupCheckDetail], [true, undefined])
  lifecycle.drain()
  lifecycle.drain()
  t.equal(facts.draining, true, 'draining is one way')
  t.equal(facts.startedAt.getTime(), Date.UTC(2026, 0, 1))
  await clock.advance(90_000)
  t.equal(facts.uptimeMs, 90_000, 'uptime on the injected clock')
})
