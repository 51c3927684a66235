import { CONFIG_VARIABLES } from './schema.js'

/**
 * The settings sorted into the groups `serve --help` shows, by name: rules
 * rather than a list, so a variable added to the schema lands in a group
 * without a second edit here (the last group takes whatever is left).
 */
export interface VariableGroup {
  readonly title: string
  readonly variables: readonly string[]
}

const RULES: ReadonlyArray<{ title: string, matches: RegExp }> = [
  { title: 'Listeners (what the application and the kubelet reach)', matches: /^(LISTEN_|ADMIN_|PROXY_AUTH_TOKEN|MAX_BODY_)/ },
  // before the TLS_ rule: these two are about trusting the upstream, not our identity
  { title: 'Upstream (where requests go, and how it is trusted)', matches: /^(UPSTREAM_|CONNECT_|TLS_CA_FILE$|TLS_SERVERNAME$|HTTPS?_PROXY$|NO_PROXY$)/ },
  { title: 'Client identity (the certificate Trulioo issued)', matches: /^(TLS_|CERT_)/ },
  { title: 'Trulioo credentials', matches: /^(TRULIOO_|AUTH_|OAUTH_|TOKEN_)/ },
  { title: 'Idempotency journal (a billable call at most once per Idempotency-Key)', matches: /^(IDEMPOTENCY_|BILLABLE_ROUTES$)/ },
  { title: 'Process (start-up, shutdown, logs)', matches: /(?:)/ }
]

export function variableGroups (variables: readonly string[] = CONFIG_VARIABLES): VariableGroup[] {
  const groups = RULES.map((rule) => ({ title: rule.title, variables: [] as string[] }))
  for (const name of variables) {
    const index = RULES.findIndex((rule) => rule.matches.test(name))
    groups[index]!.variables.push(name)
  }
  return groups.filter((g) => g.variables.length > 0)
}
