import pino from 'pino'
import t from 'tap'
import { createLogger } from '../../src/logger.js'
import { startSidecar } from '../../src/sidecar.js'
import { baseEnv, call, client, LogSink, startMock } from '../helpers/harness.js'

t.test('a reload reads the identity and secret files again, and no other setting', async (t) => {
  const mock = await startMock(t)
  const env: NodeJS.ProcessEnv = { ...await baseEnv(mock) }
  const logger = createLogger('info', pino.multistream([{ stream: new LogSink(), level: 'info' }]))
  const sidecar = await startSidecar({ logger, env, envFile: false })
  t.teardown(() => sidecar.close())

  // what a changed .env would bring: none of it may reach a running proxy
  env.UPSTREAM_URL = 'https://127.0.0.1:9'
  env.TRULIOO_PASSWORD = 'changed-in-env'
  env.UPSTREAM_CONNECTIONS = '1'
  const outcome = sidecar.store.reload()
  t.equal(outcome.ok, true, outcome.error ?? '')
  const echo = await call(client(t), `${sidecar.proxyUrl}/__mock/echo`)
  t.equal(echo.status, 200, 'requests still go to the upstream the proxy was built for')
  t.notMatch(echo.json().headers.authorization, /changed-in-env/)
})
