import t from 'tap'
import { KeyHasher, parseIdempotencyKey } from '../../src/journal/idempotency-key.js'
import { client, startMock, startProxy } from '../helpers/harness.js'
import { post, VERIFY } from '../helpers/journal.js'

const valid: Array<[string, string]> = [
  ['a', 'a'], ['"a"', 'a'], ['x'.repeat(255), 'x'.repeat(255)], [`"${'y'.repeat(255)}"`, 'y'.repeat(255)],
  ['8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'], ['a,b;c=d', 'a,b;c=d'], ['a"b"', 'a"b"']
]
const invalid = ['', '""', 'x'.repeat(256), `"${'y'.repeat(256)}"`, 'a b', 'a\tb', 'caf\u00e9', '"a', '"a"b"', '"a\\"b"', 'a, b']

t.test('Idempotency-Key: 1 to 255 visible characters, bare or quoted', async (t) => {
  for (const [value, key] of valid) t.same(parseIdempotencyKey(value), { key }, JSON.stringify(value))
  for (const value of invalid) t.ok('problem' in parseIdempotencyKey(value), `refused: ${JSON.stringify(value.slice(0, 20))}`)
  t.ok('problem' in parseIdempotencyKey(['a', 'b']), 'two headers')
})

t.test('a key is stored as a keyed hash of the caller and the key', async (t) => {
  const hasher = new KeyHasher()
  t.equal(hasher.hash('', 'k'), hasher.hash('', 'k'))
  t.not(hasher.hash('proxy:Bearer one', 'k'), hasher.hash('proxy:Bearer two', 'k'), 'another caller, another entry')
  t.not(new KeyHasher().hash('', 'k'), hasher.hash('', 'k'), 'a per-process secret: nothing to precompute')
  t.notMatch(hasher.hash('', 'visible-key'), /visible/)
})

t.test('a malformed key gets 400 and is not sent', async (t) => {
  const mock = await startMock(t)
  const { url } = await startProxy(t, mock)
  const http = client(t)
  const answer = await post(http, `${url}${VERIFY}`, 'has space')
  t.equal(answer.status, 400)
  t.equal(answer.headers['x-sidecar-error'], 'BAD_REQUEST')
  t.match(answer.json().error.message, /Idempotency-Key must be 1 to 255 visible ASCII characters/)
  t.equal(mock.requests.length, 0)
})

t.test('with PROXY_AUTH_TOKEN the caller presenting it owns the key', async (t) => {
  const mock = await startMock(t)
  const token = 'journal-proxy-token-5r2'
  const { url } = await startProxy(t, mock, { PROXY_AUTH_TOKEN: token })
  const http = client(t)
  const auth = { 'proxy-authorization': `Bearer ${token}` }
  t.equal((await post(http, `${url}${VERIFY}`, 'scoped', { headers: auth })).status, 200)
  t.equal((await post(http, `${url}${VERIFY}`, 'scoped', { headers: auth })).headers['idempotent-replayed'], 'true')
  const stranger = await post(http, `${url}${VERIFY}`, 'scoped')
  t.equal(stranger.status, 407, 'without the token: refused before the journal, nothing learnt about the key')
  t.equal(stranger.headers['idempotent-replayed'], undefined)
  t.equal(mock.requests.length, 1)
})
