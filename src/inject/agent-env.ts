/**
 * Settings of Istio's node agent (pilot-agent) that Istio users put in ProxyConfig's proxyMetadata. mizzen's
 * sidecars run Envoy alone, with no agent to read them: each still reaches istio-proxy's environment (and the
 * ISTIO_META_ ones its node metadata), but nothing acts on it. Said once where they are set, so that nobody
 * counts on them. Pure.
 */

/** The variable, and what mizzen does instead. */
export const AGENT_ONLY_ENV: ReadonlyMap<string, string> = new Map(Object.entries({
  ISTIO_META_DNS_CAPTURE: "mizzen's sidecars run no DNS proxy: the pod's DNS queries go to the cluster's resolver",
  ISTIO_META_DNS_AUTO_ALLOCATE: "mizzen's sidecars run no DNS proxy and mizzen allocates no addresses for ServiceEntries",
  OUTPUT_CERTS: "certificates come from the workload certificate Secret, not from an agent's certificate request",
  CA_ADDR: "certificates come from the workload certificate Secret, not from an agent's certificate request",
  ISTIO_META_CERT_SIGNER: "certificates come from the workload certificate Secret, signed by mizzen's mesh CA",
  SECRET_TTL: 'the workload certificate Secrets are renewed by the control plane',
  ISTIO_BOOTSTRAP_OVERRIDE: "Envoy's bootstrap is generated at injection",
  ENVOY_STATUS_PORT: 'the health port is 15021',
  ENVOY_PROMETHEUS_PORT: 'the Prometheus port is 15090',
}));

/** One warning naming the agent's variables among `names` and why nothing reads them; none when there are none. */
export function agentEnvWarnings(names: Iterable<string>, at: string): string[] {
  const found = [...new Set(names)].filter((n) => AGENT_ONLY_ENV.has(n)).sort();
  if (found.length === 0) return [];
  return [`${at}: ${found.map((n) => `${n} (${AGENT_ONLY_ENV.get(n)})`).join('; ')}: read by Istio's node agent, which mizzen's sidecars do not run (set, not applied)`];
}
