/**
 * The variables of Istio's inboundClusterStatName and outboundClusterStatName (xds/gen/stat-names.ts replaces
 * them), and the warnings a pattern gets. istiod checks neither: text that is no variable stays as written. Pure.
 */

/** The variables Istio knows, in the order it replaces them (a value is not read again by the variables before it). */
export const STAT_VARIABLES = ['%SERVICE%', '%SERVICE_NAME%', '%SERVICE_FQDN%', '%SUBSET_NAME%', '%TARGET_PORT%', '%SERVICE_PORT%', '%SERVICE_PORT_NAME%'] as const;

/**
 * Warnings for a pattern: a %WORD% Istio does not know (kept as written), and on outbound clusters %TARGET_PORT%
 * (istiod gives it 0 there). A non-string is the merge's error, not here.
 */
export function statNameWarnings(pattern: unknown, field: 'inboundClusterStatName' | 'outboundClusterStatName'): string[] {
  if (typeof pattern !== 'string') return [];
  const out: string[] = [];
  const known = new Set<string>(STAT_VARIABLES);
  for (const word of new Set(pattern.match(/%[A-Za-z0-9_]+%/g) ?? [])) {
    if (!known.has(word)) out.push(`${field}: ${word} is not one of Istio's variables (${STAT_VARIABLES.join(', ')}); kept as written, as in istiod`);
  }
  if (field === 'outboundClusterStatName' && pattern.includes('%TARGET_PORT%')) out.push(`${field}: %TARGET_PORT% is 0 for outbound clusters, as in istiod (it names the workload port of inbound clusters)`);
  return out;
}
