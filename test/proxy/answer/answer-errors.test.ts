import t from 'tap'
import { SidecarRequestError } from '../../../src/errors.js'
import { asSidecarError, errorBody } from '../../../src/proxy/answer-errors.js'

// Stage 5 on its own: what each failure Fastify hands over becomes.
t.test('framework failures map to the sidecar\'s codes', async (t) => {
  const ours = new SidecarRequestError('NOT_READY', 'x')
  t.equal(asSidecarError(ours, 10), ours, 'ours pass unchanged')
  t.equal(asSidecarError(new URIError('URI malformed'), 10).code, 'BAD_REQUEST_TARGET')
  t.equal(asSidecarError(Object.assign(new Error('too large'), { statusCode: 413 }), 10).code, 'BODY_TOO_LARGE')
  t.equal(asSidecarError(Object.assign(new Error('bad'), { statusCode: 400, code: 'FST_ERR_BAD' }), 10).code, 'BAD_REQUEST')
  t.equal(asSidecarError(new TypeError('boom'), 10).code, 'INTERNAL_ERROR', 'anything else is the sidecar\'s own fault')
})

t.test('the error body is the documented JSON shape', async (t) => {
  t.same(JSON.parse(errorBody('BODY_TOO_LARGE', 'too big', 'r-1')), { error: { code: 'BODY_TOO_LARGE', message: 'too big', requestId: 'r-1' } })
})
