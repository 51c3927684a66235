import { Writable } from 'node:stream'
import pino from 'pino'
import t from 'tap'
import { AccessLog, AccessRecord, loggableTarget, traceContext } from '../../../src/proxy/access-record.js'

// Stage 6 on its own: one record, written once, with a fixed set of fields.
t.test('the record is written once, with the contract\'s fields and nothing undefined', async (t) => {
  const lines: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _e, done) { lines.push(chunk.toString()); done() } })
  const observed: AccessRecord[] = []
  const log = new AccessLog(pino({ level: 'info' }, sink), { observe: (r) => { observed.push(r) } })
  const record = new AccessRecord('id-1', 'POST', '/verifications/v1/verify?key=secret', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
  record.status = 200
  record.bytesIn = 12
  record.bytesOut = 34
  log.write(record)
  log.write(record)
  t.equal(lines.length, 1, 'one line however often it is asked')
  t.equal(observed.length, 1, 'observed once')
  const line = JSON.parse(lines[0] as string)
  t.match(line, { msg: 'request', requestId: 'id-1', method: 'POST', path: '/verifications/v1/verify', status: 200, bytesIn: 12, bytesOut: 34, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' })
  t.type(line.durationMs, 'number')
  t.notOk('errorCode' in line || 'incomplete' in line, 'absent fields are left out')
  t.notMatch(lines[0], /secret/, 'no query string')
})

t.test('a valid traceparent gives traceId and spanId; a malformed one gives neither', async (t) => {
  t.same(traceContext('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' })
  for (const bad of [undefined, '', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01', '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01']) {
    t.equal(traceContext(bad), undefined, JSON.stringify(bad))
  }
})

t.test('a logged target never carries a query string or userinfo', async (t) => {
  const cases: Array<[string, string]> = [
    ['/a/b?token=x', '/a/b'],
    ['/users/a@b.example/x', '/users/a@b.example/x'],
    ['//user:pw@host/x', '//[userinfo]@host/x'],
    ['/\\user:pw@host/x', '/\\[userinfo]@host/x'],
    ['http://user:pw@host/x?q=1', 'http://[userinfo]@host/x'],
    ['ftp://user:pw@host/x', 'ftp://[userinfo]@host/x'],
    ['user:pw@host:443', '[userinfo]@host:443']
  ]
  for (const [target, logged] of cases) {
    t.equal(loggableTarget(target), logged, target)
    t.notMatch(loggableTarget(target), /pw/, `${target}: no password`)
  }
})
