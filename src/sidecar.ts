import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { isLoopbackHost, loadConfig, type LoadConfigOptions } from './config/load-config.js'
import type { Config } from './config/schema.js'
import { ConfigError } from './errors.js'
import { IdentityStore } from './identity/identity-store.js'
import { daysLeft } from './identity/load-identity.js'
import { buildProxyApp, type RequestDone } from './proxy/proxy-app.js'
import { SidecarState } from './state.js'

export interface StartOptions extends LoadConfigOptions {
  logger: Logger
  /** An already loaded configuration; otherwise it is read from env / .env. */
  config?: Config
  onRequestDone?: (done: RequestDone) => void
}

export interface Sidecar {
  readonly config: Config
  readonly store: IdentityStore
  readonly state: SidecarState
  readonly proxy: FastifyInstance
  /** e.g. http://127.0.0.1:8080 */
  readonly proxyUrl: string
  /** Stops taking requests, lets those in flight finish, closes the upstream pool. */
  close (): Promise<void>
}

/**
 * Builds and starts the sidecar: configuration, identity, proxy listener.
 * Throws ConfigError / ConfigErrors for anything the operator must fix.
 */
export async function startSidecar (options: StartOptions): Promise<Sidecar> {
  const { logger } = options
  const loadOptions: LoadConfigOptions = {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.envFile === undefined ? {} : { envFile: options.envFile })
  }
  const config = options.config ?? loadConfig(loadOptions)
  const warn = (message: string): void => { logger.warn(message) }
  const store = new IdentityStore(config, { reloadConfig: () => loadConfig(loadOptions), warn })
  const state = new SidecarState()

  const info = store.identity.info
  logger.info({
    subject: info.subject, issuer: info.issuer, serialNumber: info.serialNumber,
    notAfter: info.notAfter.toISOString(), daysLeft: daysLeft(info), upstream: config.UPSTREAM_URL,
    credentials: store.authorization === undefined ? 'pass-through' : 'injected'
  }, 'client identity loaded')
  warnAboutExpiry(store, config, logger)

  if (!isLoopbackHost(config.LISTEN_HOST) && config.PROXY_AUTH_TOKEN === undefined) {
    logger.warn({ host: config.LISTEN_HOST }, 'the proxy listens beyond loopback without PROXY_AUTH_TOKEN: anything that reaches this port can call Trulioo with these credentials')
  }

  const proxy = await buildProxyApp({ store, state, logger, ...(options.onRequestDone === undefined ? {} : { onRequestDone: options.onRequestDone }) })
  try {
    await proxy.listen({ host: config.LISTEN_HOST, port: config.LISTEN_PORT, listenTextResolver: (address) => `proxy listening on ${address}` })
  } catch (err) {
    await store.destroy()
    throw listenError('LISTEN_PORT', config.LISTEN_HOST, config.LISTEN_PORT, err)
  }
  const address = proxy.server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address

  let closing: Promise<void> | undefined
  return {
    config,
    store,
    state,
    proxy,
    proxyUrl: `http://${host}:${address.port}`,
    close () {
      closing ??= (async () => {
        state.draining = true
        await proxy.close()
        await store.close()
      })()
      return closing
    }
  }
}

export function warnAboutExpiry (store: IdentityStore, config: Config, logger: Logger): void {
  const info = store.identity.info
  const left = daysLeft(info)
  if (left < config.CERT_EXPIRY_WARN_DAYS) {
    logger.warn({ notAfter: info.notAfter.toISOString(), daysLeft: left, serialNumber: info.serialNumber },
      `the client certificate expires in ${left} days: request a new one from the Trulioo portal`)
  }
}

export function listenError (variable: string, host: string, port: number, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code
  const reason = code === 'EADDRINUSE'
    ? 'is already in use'
    : code === 'EADDRNOTAVAIL' ? 'is not an address of this host' : code === 'EACCES' ? 'needs privileges to bind' : `cannot be listened on (${code ?? (err as Error).message})`
  return new ConfigError(variable, `${host}:${port} ${reason}`)
}
