import t from 'tap'
import { keptAnswerExpiresAfterTtl } from '../helpers/journal.js'

t.test('a kept answer is replayed until IDEMPOTENCY_TTL_S has passed, then the key runs again', async (t) => {
  await keptAnswerExpiresAfterTtl(t, {})
})
