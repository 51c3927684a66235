/** The advice `check` prints under a failed step: what a person should do next. */
export const ADVICE = {
  configInvalid: 'Fix the settings named above (environment or .env); the README lists every variable.',
  certUnreadable: 'Point TLS_CERT_FILE at the PEM certificate downloaded from the Trulioo Customer Portal.',
  certExpired: 'Renew it: make a new key and CSR with `trulioo-mtls-sidecar csr`, upload the CSR in the Trulioo Customer Portal, and install the certificate it issues.',
  certNotYetValid: 'Check this machine\'s clock, or wait until the certificate\'s start date.',
  passphraseMissing: 'Set TLS_PASSPHRASE_FILE (or TLS_PASSPHRASE) to the passphrase chosen when the key was made.',
  passphraseWrong: 'Use the passphrase chosen when the key was made; if it is lost, the key is too: make a new key and CSR with `trulioo-mtls-sidecar csr`.',
  keyUnreadable: 'Point TLS_KEY_FILE at the PEM private key made together with the CSR.',
  keyMismatch: 'Use the private key made together with the CSR that this certificate was issued for (the same `csr` run), or upload a new CSR and install its certificate.',
  dns: 'Check the host name in UPSTREAM_URL, this machine\'s DNS resolver, and that outbound DNS is allowed.',
  tcpRefused: 'Nothing accepts connections there: check the host and port of UPSTREAM_URL.',
  tcpTimeout: 'A firewall or egress rule may be dropping the traffic: allow outbound connections to the upstream\'s port (443).',
  untrustedUpstream: 'The upstream\'s certificate is not signed by a CA this machine trusts. Trulioo\'s endpoint uses a public CA: make sure no TLS-inspecting proxy is in the way. For a private CA (a test upstream), set TLS_CA_FILE to its CA bundle.',
  upstreamName: 'UPSTREAM_URL or TLS_SERVERNAME names another host than the upstream\'s certificate: fix the name.',
  upstreamExpired: 'The upstream\'s certificate is outside its validity: check this machine\'s clock.',
  notTls: 'Is UPSTREAM_URL really the mutual-TLS endpoint (https://mtls.primary.prod.trulioo.com)?',
  certRejected: 'The upstream does not accept this client certificate: it was not issued by Trulioo for this account (another account, another environment, another CA), or it was revoked or has expired. Make a CSR with `trulioo-mtls-sidecar csr`, upload it in the Trulioo Customer Portal and install the certificate it issues.',
  badCredentials: 'TRULIOO_USERNAME / TRULIOO_PASSWORD are not accepted: use the NAPI (API) username and password of this account from the Trulioo Customer Portal, not a portal login.',
  forbidden: 'The credentials were accepted but this account may not be allowed this API: ask Trulioo support which products the account has.',
  unexpectedAnswer: 'The upstream answered, but not with Hello: check that UPSTREAM_URL is Trulioo\'s API and not another service.',
  timeout: 'The upstream is slow or unreachable: retry, or raise CONNECT_TIMEOUT_MS / UPSTREAM_TIMEOUT_MS / UPSTREAM_BODY_TIMEOUT_MS.'
} as const
