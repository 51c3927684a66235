import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildAdminApp } from './admin/admin-app.js'
import { type AuthRoutes, describeRoutes, resolveAuthRoutes } from './auth/auth-routes.js'
import { type ClientCredentials, TokenClient } from './auth/token-client.js'
import { TokenStore, type TokenStoreOptions } from './auth/token-store.js'
import { SidecarMetrics } from './admin/metrics.js'
import { ConnectionRegistry } from './proxy/connection-state.js'
import { isLoopbackHost, loadConfig, type LoadConfigOptions, rereadSecretFiles, upstreamOrigin } from './config/load-config.js'
import { upstreamTarget } from './config/egress-proxy.js'
import type { Config } from './config/schema.js'
import { type Clock, SYSTEM_CLOCK } from './clock.js'
import { ConfigError } from './errors.js'
import { IdentityStore, type RejectedEvent } from './identity/identity-store.js'
import type { Member } from './identity/identity-set.js'
import { daysLeft, type Identity } from './identity/load-identity.js'
import { reloadOnChange } from './identity/reload-on-change.js'
import type { Watcher } from './identity/watch-files.js'
import { TransactionLog } from './journal/transaction-log.js'
import { AccessLog } from './proxy/access-record.js'
import { MEMORY_HEALTH, openSharedJournal } from './journal/open-store.js'
import type { StoreHealth } from './journal/journal-store.js'
import { buildProxyApp } from './proxy/proxy-app.js'
import { Readiness } from './readiness.js'
import { Lifecycle, type LifecycleFacts } from './lifecycle.js'
import { type ListeningSocket, listenOnSocket, parseSocketMode } from './unix-socket.js'
import { runStartupCheck } from './startup-check.js'
import { egressFor } from './upstream/connect-tunnel.js'
import { UpstreamPool } from './upstream/upstream-pool.js'
import { version } from './version.js'

export interface StartOptions extends LoadConfigOptions {
  logger: Logger
  /** An already loaded configuration; otherwise it is read from env / .env. */
  config?: Config
  /**
   * The one clock every part reads (identity validity, tokens, readiness,
   * backoffs, socket history, /status): tests move it instead of waiting.
   */
  clock?: Clock
  /** The token store's backoff and lifetime floor (tests make them short); its clock is `clock` unless given here. */
  tokens?: Omit<TokenStoreOptions, 'log'>
}

export interface Sidecar {
  readonly config: Config
  readonly store: IdentityStore
  readonly pool: UpstreamPool
  /** In flight, draining, start-up check: read-only (the lifecycle is their one writer). */
  readonly lifecycle: LifecycleFacts
  readonly readiness: Readiness
  readonly metrics: SidecarMetrics
  /** The route table in force (AUTH_ROUTES or the default). */
  readonly routes: AuthRoutes
  /** The OAuth2 tokens, when a route uses them. */
  readonly tokens: TokenStore | undefined
  readonly proxy: FastifyInstance
  readonly admin: FastifyInstance | undefined
  /** e.g. http://127.0.0.1:8080, or unix:/run/sidecar.sock with LISTEN_SOCKET */
  readonly proxyUrl: string
  /** e.g. http://127.0.0.1:9090, or undefined when ADMIN_PORT=0 */
  readonly adminUrl: string | undefined
  /** The idempotency journal's store: kind, URL without credentials, whether it answers. */
  journalStore (): StoreHealth
  /**
   * Graceful stop: readiness fails at once, the listener takes no new
   * connections, requests in flight finish, idle keep-alive connections and
   * the upstream pool are closed.
   */
  close (): Promise<void>
}

const DAY_MS = 86_400_000

/**
 * Builds and starts the sidecar: configuration, identity, proxy and admin
 * listeners, file watching, expiry warnings, the optional start-up check.
 * Throws ConfigError / ConfigErrors for anything the operator must fix.
 */
export async function startSidecar (options: StartOptions): Promise<Sidecar> {
  const { logger } = options
  const loadOptions: LoadConfigOptions = {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.envFile === undefined ? {} : { envFile: options.envFile })
  }
  const config = options.config ?? loadConfig(loadOptions)
  const warn = (warning: ConfigError): void => { logger.warn({ code: warning.code }, warning.toLine()) }
  // a reload reads the identity and secret files again; other settings stay as the proxy was built
  const clock = options.clock ?? SYSTEM_CLOCK
  const store = new IdentityStore(config, { reloadConfig: () => rereadSecretFiles(config), warn, clock })
  const origin = upstreamOrigin(config)
  // the credentials are read from the store at each new tunnel: a reload of EGRESS_PROXY_AUTH_FILE applies at once
  const egress = egressFor(config, upstreamTarget(config), () => store.credentials.egressProxyAuthorization)
  const pool = new UpstreamPool(config, store, egress, clock)
  store.on('identity', () => { pool.sync() })
  store.on('rejected', ({ member, serialNumber, rejection }: RejectedEvent) => {
    const next = store.order()[0]
    logger.warn({ member: member.source.name, serialNumber, alert: rejection.alert, retryAt: new Date(rejection.until).toISOString(), activeMember: next?.source.name },
      `the upstream refused the client certificate of member ${member.source.name} (serial ${serialNumber}, TLS alert "${rejection.alert}"); it is offered again at ${new Date(rejection.until).toISOString()}` +
      (next === undefined || next === member ? '' : `; member ${next.source.name} serves meanwhile`))
  })
  store.on('active', (active: Member | undefined, previous: Member | undefined) => {
    if (previous === undefined) return // the start-up line names the first
    if (active === undefined) logger.error({ previousMember: previous.source.name }, 'no member of the identity set is valid now: requests are refused until one is')
    else logger.info({ member: active.source.name, serialNumber: active.identity?.info.serialNumber, previousMember: previous.source.name }, `member ${active.source.name} now serves new connections (was ${previous.source.name})`)
  })
  const routes = resolveAuthRoutes(config)
  const { tokens, closeTokens } = tokenStoreFor(config, store, routes, logger, { clock, ...options.tokens })
  const lifecycle = new Lifecycle(clock)
  const readiness = new Readiness(store, lifecycle.facts, clock, tokens)
  // a shared journal store is connected before the listeners open (or tried for IDEMPOTENCY_STORE_TIMEOUT_MS: keyless calls need it not)
  const sharedJournal = await openSharedJournal(config, clock, logger)
  const journalStore = (): StoreHealth => sharedJournal?.store.health() ?? MEMORY_HEALTH
  const metrics = new SidecarMetrics({ store, lifecycle: lifecycle.facts, readiness, openConnections: () => pool.openConnections, version: version(), tokens, journalStore })
  logger.info({ routes: describeRoutes(routes), fromDefault: routes.fromDefault }, 'auth routes')

  logIdentity(store, config, logger, clock)
  if (egress !== undefined) logger.info({ egressProxy: egress.proxy.shown, from: egress.proxy.variable }, `calls to ${origin.host} go through the egress proxy ${egress.proxy.shown}`)
  warnAboutExpiry(store, config, logger, clock)
  store.on('reload', (outcome: { ok: boolean }) => { if (outcome.ok) warnAboutExpiry(store, config, logger, clock) })
  const daily = repeat(clock, DAY_MS, () => { warnAboutExpiry(store, config, logger, clock) })

  if (config.LISTEN_SOCKET === undefined && !isLoopbackHost(config.LISTEN_HOST) && config.PROXY_AUTH_TOKEN === undefined) {
    logger.warn({ host: config.LISTEN_HOST }, 'the proxy listens beyond loopback without PROXY_AUTH_TOKEN: anything that reaches this port can call Trulioo with these credentials')
  }

  // the access line needs no redaction: its fields are fixed and hold no secret (access-record.ts)
  const transactions = new TransactionLog(clock)
  const accessLog = new AccessLog(logger.child({}, { redact: [] }), metrics, transactions)
  const connections = new ConnectionRegistry(() => lifecycle.draining)
  const proxy = await buildProxyApp({ config, store, pool, readiness, lifecycle, logger, accessLog, connections, routes, tokens, clock, sharedJournal })
  const admin = config.ADMIN_PORT === 0 ? undefined : buildAdminApp({ config, store, lifecycle: lifecycle.facts, clock, readiness, metrics, logger, version: version(), routes, tokens, transactions, journalStore })
  let proxyUrl: string
  let adminUrl: string | undefined
  let socket: ListeningSocket | undefined
  try {
    if (config.LISTEN_SOCKET === undefined) {
      proxyUrl = await listen(proxy, 'LISTEN_PORT', config.LISTEN_HOST, config.LISTEN_PORT, 'proxy')
    } else {
      // instead of, not as well as, LISTEN_HOST:LISTEN_PORT
      socket = await listenOnSocket(proxy, config.LISTEN_SOCKET, parseSocketMode(config.LISTEN_SOCKET_MODE), 'proxy')
      proxyUrl = `unix:${socket.path}`
    }
    adminUrl = admin === undefined ? undefined : await listen(admin, 'ADMIN_PORT', config.ADMIN_HOST, config.ADMIN_PORT, 'admin')
  } catch (err) {
    daily.stop()
    store.close()
    await Promise.allSettled([proxy.close(), admin?.close(), pool.destroy(), closeTokens(), sharedJournal?.store.close()])
    socket?.remove()
    throw err
  }

  // readiness waits for a token per scope; requests arriving meanwhile join the fetch
  tokens?.start()
  const watcher: Watcher | undefined = config.CERT_WATCH ? reloadOnChange(store, logger, { clock }) : undefined
  if (config.STARTUP_CHECK) {
    lifecycle.startupCheckRequired()
    void runStartupCheck(store, pool, config, lifecycle, logger, clock)
  }

  let closing: Promise<void> | undefined
  return {
    config,
    store,
    pool,
    lifecycle: lifecycle.facts,
    readiness,
    metrics,
    routes,
    tokens,
    proxy,
    admin,
    proxyUrl,
    adminUrl,
    journalStore,
    close () {
      closing ??= (async () => {
        lifecycle.drain()
        // idle keep-alive sockets and half-sent heads must not hold the drain
        connections.closeIdle()
        watcher?.close()
        daily.stop()
        // Fastify's close waits for requests in flight and closes idle keep-alive sockets.
        await proxy.close()
        socket?.remove()
        logger.debug('proxy listener closed')
        store.close()
        // after the drain: the outcomes of the last attempts are written before the store's connections close
        await Promise.all([pool.close(), closeTokens(), sharedJournal?.store.close()])
        logger.debug('upstream pool closed')
        await admin?.close()
      })()
      return closing
    }
  }
}

/**
 * The token store and its client, when a route uses OAuth2. A new identity
 * builds a new client (its certificate is offered to the token endpoint
 * too); a new client id or secret drops every token and fetches new ones.
 */
function tokenStoreFor (config: Config, store: IdentityStore, routes: AuthRoutes, logger: Logger, options: StartOptions['tokens']): { tokens: TokenStore | undefined, closeTokens: () => Promise<void> } {
  if (routes.scopes.length === 0) return { tokens: undefined, closeTokens: async () => {} }
  const credentials = (): ClientCredentials | undefined => store.credentials.oauthClient
  const egressAuth = (): string | undefined => store.credentials.egressProxyAuthorization
  const clock = options?.clock
  // with TLS_IDENTITIES_DIR, a member the token endpoint refuses is marked as the proxy marks it:
  // the next member becomes active, and the token store's next try goes with it
  const refusedBy = (identity: Identity) => (alert: string): void => {
    const member = store.members.find((m) => m.identity === identity)
    if (member !== undefined && store.isSet && store.order().length > 1) store.reject(member, alert)
  }
  let client = new TokenClient(config, store.identity, credentials, egressAuth, clock, refusedBy(store.identity))
  // replaced clients finish their calls under way, unless the sidecar stops first
  const retired = new Set<TokenClient>()
  const tokens = new TokenStore(routes.scopes, (scope) => client.fetch(scope), { ...options, log: logger })
  let used = credentials()
  let offered = store.identity
  const useIdentity = (identity: Identity): void => {
    const old = client
    retired.add(old)
    void old.close().then(() => { retired.delete(old) })
    offered = identity
    client = new TokenClient(config, identity, credentials, egressAuth, clock, refusedBy(identity))
  }
  // with TLS_IDENTITIES_DIR, the token endpoint gets the certificate that serves now too
  store.on('active', (active: Member | undefined) => {
    if (active?.identity !== undefined && active.identity !== offered) useIdentity(active.identity)
  })
  store.on('identity', (identity: Identity) => {
    useIdentity(identity)
    const next = credentials()
    if (next?.id !== used?.id || next?.secret !== used?.secret) {
      used = next
      logger.info({ scopes: tokens.scopes }, 'the OAuth2 client credentials changed: cached tokens dropped, new ones being fetched')
      tokens.reset()
    }
  })
  return {
    tokens,
    closeTokens: async () => {
      tokens.close()
      // by now the proxy has drained: no request waits for a token, so a call that
      // hangs is abandoned rather than waited for (it would hold the exit until the grace period)
      await Promise.allSettled([client.destroy(), ...[...retired].map(async (c) => await c.destroy())])
    }
  }
}

/** Runs `fn` every `ms` on `clock` until stopped (a Clock has no setInterval). */
function repeat (clock: Clock, ms: number, fn: () => void): { stop: () => void } {
  let timer: unknown
  let stopped = false
  const run = (): void => {
    if (stopped) return
    fn()
    timer = clock.setTimeout(run, ms)
  }
  timer = clock.setTimeout(run, ms)
  return { stop: () => { stopped = true; clock.clearTimeout(timer) } }
}

async function listen (app: FastifyInstance, variable: string, host: string, port: number, name: string): Promise<string> {
  try {
    await app.listen({ host, port, listenTextResolver: (address) => `${name} listening on ${address}` })
  } catch (err) {
    throw listenError(variable, host, port, err)
  }
  const address = app.server.address() as AddressInfo
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${shown}:${address.port}`
}

function logIdentity (store: IdentityStore, config: Config, logger: Logger, clock: Clock): void {
  const info = store.identity.info
  const active = store.order()[0]
  logger.info({
    ...(store.isSet ? { member: active?.source.name, members: store.memberStatus().map((m) => ({ name: m.name, state: m.state, serialNumber: m.info?.serialNumber, notBefore: m.info?.notBefore.toISOString(), notAfter: m.info?.notAfter.toISOString(), ...(m.error === undefined ? {} : { error: m.error }) })) } : {}),
    subject: info.subject,
    issuer: info.issuer,
    serialNumber: info.serialNumber,
    notAfter: info.notAfter.toISOString(),
    daysLeft: daysLeft(info, new Date(clock.now())),
    upstream: config.UPSTREAM_URL,
    credentials: store.authorization === undefined ? 'pass-through' : 'injected'
  }, store.isSet ? `client identity loaded: member ${active?.source.name ?? '(none valid)'} serves (serial ${info.serialNumber}), ${store.members.length} member(s) in TLS_IDENTITIES_DIR` : 'client identity loaded')
}

export function warnAboutExpiry (store: IdentityStore, config: Config, logger: Logger, clock: Clock = SYSTEM_CLOCK): void {
  const info = store.identity.info
  const left = daysLeft(info, new Date(clock.now()))
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
  // an address that is not ours, or a name that does not resolve, is the *_HOST setting's fault
  const hostsFault = code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
  return new ConfigError(hostsFault ? variable.replace(/_PORT$/, '_HOST') : variable, `${host}:${port} ${reason}`, { code: 'LISTEN_FAILED' })
}
