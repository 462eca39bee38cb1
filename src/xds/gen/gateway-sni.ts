/**
 * The filter chains of one gateway listener, made so that Envoy accepts the listener. Envoy refuses a whole
 * listener (every server on its port) when two of its chains match the same connections: one server name with the
 * same transport protocol and other criteria ("multiple filter chains with the same matching rules"), whether the
 * chains' server_names lists are equal or only share a name. Different names are different matches, wildcards
 * included: `*.example.com` and `a.example.com` coexist, the most specific winning (FilterChainMatch in Envoy's
 * listener_components.proto). mizzen keeps what istiod keeps:
 *
 * - The TLS servers (HTTPS, TLS) of a listener port, in istiod's order (Gateways oldest first, then by name and
 *   namespace; then each Gateway's servers in order), each take their hosts: a server naming a host an earlier one
 *   took is dropped whole, its other hosts with it, as istiod's mergeGateways drops it (CheckDuplicates). Hosts
 *   compare by the name a chain matches, the part after `namespace/` (istiod compares `ns/host` as written, and
 *   then builds two chains for one server name in two namespaces, which Envoy refuses).
 * - A passthrough server's chains come from the sniHosts of VirtualService tls matches: a match naming an SNI host
 *   an earlier match on the port took is skipped, as istiod skips it (buildGatewayNetworkFiltersFromTLSRoutes).
 *   An SNI host a terminated server of the port names is left to that server, which names it exactly where the
 *   passthrough server reaches it through a wildcard (istiod builds both chains, and Envoy refuses them).
 * - What may still overlap (two chains without a match, as of two TCP servers): a chain matching connections an
 *   earlier chain of the listener matches is dropped, the first keeping them.
 *
 * Pure.
 */
type Json = Record<string, any>;

/** The names a port's servers or routes have taken; each claim takes all its names or none. */
export class NameClaims {
  private readonly taken = new Set<string>();

  /** Takes `names` when none is taken yet (true); otherwise takes nothing (false). */
  claim(names: readonly string[]): boolean {
    if (names.some((n) => this.taken.has(n))) return false;
    for (const n of names) this.taken.add(n);
    return true;
  }
}

/** `items` in order without those naming a name an earlier one took; `namesOf` undefined: the item takes no part. */
export function firstClaims<T>(items: readonly T[], namesOf: (item: T) => readonly string[] | undefined): T[] {
  const claims = new NameClaims();
  return items.filter((item) => {
    const names = namesOf(item);
    return names === undefined || claims.claim(names);
  });
}

/**
 * A chain's server_names for hosts or SNI hosts: each once; none when one is `*`, which matches every name and
 * which Envoy does not take as a server name (server_names is then left out, as istiod leaves it out).
 */
export const serverNames = (hosts: readonly string[]): string[] => (hosts.includes('*') ? [] : [...new Set(hosts)]);

/** FilterChainMatch's repeated criteria: a connection matches one of the values (an empty list: any). */
const REPEATED = ['prefix_ranges', 'server_names', 'application_protocols', 'direct_source_prefix_ranges', 'source_prefix_ranges', 'source_ports'] as const;

/** The distinct matches a chain adds to Envoy's matching tree: one per combination of its repeated criteria. */
function leaves(match: Json | undefined): string[] {
  const m = match ?? {};
  let out = [JSON.stringify([m.destination_port?.value ?? m.destination_port ?? 0, m.transport_protocol ?? '', m.source_type ?? 'ANY'])];
  for (const field of REPEATED) {
    const values: unknown[] = Array.isArray(m[field]) && m[field].length > 0 ? m[field] : [undefined];
    out = out.flatMap((leaf) => values.map((v) => `${leaf}\u0000${JSON.stringify(v ?? null)}`));
  }
  return out;
}

/** The chains in order without those matching connections an earlier chain matches (Envoy would refuse them all). */
export function distinctChains(chains: readonly Json[]): Json[] {
  const claims = new NameClaims();
  return chains.filter((c) => claims.claim(leaves(c.filter_chain_match)));
}
