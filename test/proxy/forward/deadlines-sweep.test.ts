import t from 'tap'
import { Deadlines, type HasDeadline } from '../../../src/proxy/deadlines.js'
import { waitFor } from '../../helpers/harness.js'

// The sweep behind the forward stage's deadlines, on its own: what is tracked
// expires once past its deadline, what was untracked never does, and the
// list stays whole whichever item leaves it first.

function item (deadline: number, expired: string[], name: string): HasDeadline {
  return { deadline, prevTracked: undefined, nextTracked: undefined, expire () { expired.push(name) } }
}

t.test('past-deadline items expire once; untracked and future ones do not', async (t) => {
  const deadlines = new Deadlines(20)
  const expired: string[] = []
  const now = performance.now()
  const a = item(now, expired, 'a')
  const b = item(now, expired, 'b')
  const c = item(now + 3_600_000, expired, 'c')
  const d = item(now, expired, 'd')
  for (const x of [a, b, c, d]) deadlines.track(x)
  deadlines.track(b) // twice: still once in the list
  t.equal(deadlines.size, 4)
  deadlines.untrack(d) // the head
  deadlines.untrack(d) // again: nothing happens
  t.equal(deadlines.size, 3)
  t.ok(await waitFor(() => expired.length === 2), 'the two past their deadline expired')
  t.same(expired.sort(), ['a', 'b'])
  t.equal(deadlines.size, 1, 'only the future one is left')
  deadlines.untrack(c)
  t.equal(deadlines.size, 0)
  t.equal(c.prevTracked, undefined)
  t.equal(c.nextTracked, undefined)
})

t.test('removing from the middle and the ends keeps the rest tracked', async (t) => {
  const deadlines = new Deadlines(20)
  const expired: string[] = []
  const far = performance.now() + 3_600_000
  const items = ['1', '2', '3', '4', '5'].map((name) => item(far, expired, name))
  for (const x of items) deadlines.track(x)
  deadlines.untrack(items[2] as HasDeadline) // middle
  deadlines.untrack(items[0] as HasDeadline) // tail (first tracked)
  deadlines.untrack(items[4] as HasDeadline) // head (last tracked)
  t.equal(deadlines.size, 2)
  for (const x of [items[1], items[3]] as HasDeadline[]) x.deadline = performance.now()
  t.ok(await waitFor(() => expired.length === 2))
  t.same(expired.sort(), ['2', '4'], 'the two left in the list were still reached by the sweep')
  t.equal(deadlines.size, 0)
})
