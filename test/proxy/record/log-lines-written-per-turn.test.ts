import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setImmediate as turn } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { createLogger, StdoutLines } from '../../../src/logger.js'
import { ROOT } from '../../helpers/root.js'

// The log's destination writes the lines of one event-loop turn together,
// synchronously, and whatever is pending when the process exits.

t.test('lines logged in one turn are written together at its end, in order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-log-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const path = join(dir, 'out.log')
  const fd = openSync(path, 'w')
  t.teardown(() => { closeSync(fd) })
  const logger = createLogger('info', new StdoutLines(fd))

  for (let i = 0; i < 3; i++) logger.info({ i }, 'line')
  t.equal(readFileSync(path, 'utf8'), '', 'nothing is written while the turn runs')
  await turn()
  const lines = readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { i: number, msg: string })
  t.same(lines.map((line) => line.i), [0, 1, 2], 'all three, in order, after the turn')

  logger.info({ i: 3 }, 'line')
  logger.flush()
  t.match(readFileSync(path, 'utf8'), /"i":3/, 'flush() writes at once')
})

t.test('what is pending when the process exits is written before it goes', async (t) => {
  const logger = pathToFileURL(join(ROOT, '.build/src/logger.js')).href
  const script = `import { createLogger } from ${JSON.stringify(logger)}
const log = createLogger('info')
log.info('the last words')
process.exit(3)`
  let stdout = ''
  try {
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
  } catch (err) {
    const failed = err as { status: number, stdout: string }
    t.equal(failed.status, 3, 'the exit code is the one asked for')
    stdout = failed.stdout
  }
  t.match(stdout, /"msg":"the last words"/)
})

t.test('a destination that cannot be written turns logging off instead of throwing or retrying', async (t) => {
  const fd = openSync('/dev/full', 'w') // every write fails with ENOSPC
  t.teardown(() => { closeSync(fd) })
  const destination = new StdoutLines(fd)
  destination.write('one\n')
  t.doesNotThrow(() => { destination.flushSync() }, 'the failed write is not thrown at the logger')
  destination.write('two\n')
  t.doesNotThrow(() => { destination.flushSync() }, 'and later lines are dropped quietly')
})
