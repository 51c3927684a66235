import { type ConfigError, startupFix } from '../errors.js'

/**
 * The advice for a configuration that does not load: the start-up error
 * registry's fix for each code among the problems, once each, in order.
 */
export function adviceForConfig (problems: readonly ConfigError[]): string {
  return [...new Set(problems.map((p) => startupFix(p.code)))].join(' ')
}

/**
 * The advice `check` prints under a failed step past the configuration and
 * the identity (those take theirs from the start-up error registry, by code):
 * what a person should do next.
 */
export const ADVICE = {
  dns: 'Check the host name in UPSTREAM_URL, this machine\'s DNS resolver, and that outbound DNS is allowed.',
  tcpRefused: 'Nothing accepts connections there: check the host and port of UPSTREAM_URL.',
  egressUnreachable: 'The egress proxy named by HTTPS_PROXY (or ALL_PROXY) does not accept connections: check its host and port, and that this machine may reach it.',
  egressTls: 'The egress proxy\'s own TLS certificate is not trusted: set EGRESS_PROXY_CA_FILE to the CA bundle that issued it (ask the network team), or use the proxy\'s http:// address.',
  egressAuth: 'The proxy wants credentials, or refused the ones sent: put user:password in the proxy URL (percent-encoded) or in the file named by EGRESS_PROXY_AUTH_FILE.',
  egressForbidden: 'The proxy does not allow CONNECT to the Trulioo host on port 443: ask for that host and port to be allowed, or list the host in NO_PROXY if it is reached directly.',
  egressUpstream: 'The proxy could not reach the upstream, or failed itself: check UPSTREAM_URL, and ask whether the proxy can resolve and reach the Trulioo host on port 443.',
  egressTimeout: 'The proxy took the connection but did not answer CONNECT in time: check that HTTPS_PROXY names an HTTP proxy (not a SOCKS port), or raise CONNECT_TIMEOUT_MS.',
  egressBadAnswer: 'What answered is not an HTTP CONNECT proxy: check the host and port in HTTPS_PROXY.',
  tcpTimeout: 'A firewall or egress rule may be dropping the traffic: allow outbound connections to the upstream\'s port (443).',
  untrustedUpstream: 'The upstream\'s certificate is not signed by a CA this machine trusts. Trulioo\'s endpoint uses a public CA: make sure no TLS-inspecting proxy is in the way. For a private CA (a test upstream), set TLS_CA_FILE to its CA bundle.',
  upstreamName: 'UPSTREAM_URL or TLS_SERVERNAME names another host than the upstream\'s certificate: fix the name.',
  upstreamExpired: 'The upstream\'s certificate is outside its validity: check this machine\'s clock.',
  notTls: 'Is UPSTREAM_URL really the mutual-TLS endpoint (https://mtls.primary.prod.trulioo.com)?',
  certRejected: 'The upstream does not accept this client certificate: it was not issued by Trulioo for this account (another account, another environment, another CA), or it was revoked or has expired. Make a CSR with `trulioo-mtls-sidecar csr`, upload it in the Trulioo Customer Portal and install the certificate it issues.',
  badCredentials: 'TRULIOO_USERNAME / TRULIOO_PASSWORD are not accepted: use the NAPI (API) username and password of this account from the Trulioo Customer Portal, not a portal login.',
  forbidden: 'The credentials were accepted but this account may not be allowed this API: ask Trulioo support which products the account has.',
  unexpectedAnswer: 'The upstream answered, but not with Hello: check that UPSTREAM_URL is Trulioo\'s API and not another service.',
  tokenUnreachable: 'The token endpoint (TOKEN_URL) cannot be reached or verified: check the URL, DNS, the egress proxy and NO_PROXY; a private CA goes in TLS_CA_FILE.',
  tokenRejected: 'The token endpoint does not accept TRULIOO_CLIENT_ID / TRULIOO_CLIENT_SECRET (invalid_client): use the API client id and secret of this account from the Trulioo Customer Portal, and check the scope in AUTH_ROUTES.',
  tokenAnswer: 'The token endpoint answered, but not with a token: check that TOKEN_URL is Trulioo\'s token endpoint (https://auth-api.trulioo.com/connect/token).',
  tokenRefused: 'A token was issued but the upstream refused a call with it: check that the client credentials belong to this account and that the account has NAPI v3.',
  timeout: 'The upstream is slow or unreachable: retry, or raise CONNECT_TIMEOUT_MS / UPSTREAM_TIMEOUT_MS / UPSTREAM_BODY_TIMEOUT_MS.'
} as const
