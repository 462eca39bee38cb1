/**
 * Trust domain migration in authorization, as istiod does it: a policy's principals (`<td>/ns/<ns>/sa/<sa>`) whose
 * trust domain is the mesh's, one of its aliases (the mesh config's trustDomainAliases) or `cluster.local` (which
 * stands for the local trust domain) match the identity under every one of them; `source.trustDomain` values that
 * name one of them name them all. A principal of another trust domain, `*`, or not of that shape is kept as written.
 * Patterns: a domain may start or end with `*` (a suffix or prefix match), on either side. Pure.
 */

const CLUSTER_LOCAL = 'cluster.local';

const prefixMatch = (a: string, pattern: string): boolean => pattern.endsWith('*') && a.startsWith(pattern.slice(0, -1));
const suffixMatch = (a: string, pattern: string): boolean => pattern.startsWith('*') && a.endsWith(pattern.slice(1));
const matches = (a: string, d: string): boolean => a === d || d === '*' || prefixMatch(a, d) || prefixMatch(d, a) || suffixMatch(a, d) || suffixMatch(d, a);

/** `principals` under every trust domain of `domains` (the mesh's first, then its aliases); [] for no migration. */
export function migratePrincipals(principals: readonly string[], domains: readonly string[]): string[] {
  if (domains.length === 0) return [...principals];
  const out: string[] = [];
  for (const p of principals) {
    const parts = p.split('/');
    const td = parts[0]!;
    if (parts.length !== 5 || td === '*' || !(td === CLUSTER_LOCAL || domains.some((d) => matches(td, d)))) {
      out.push(p);
      continue;
    }
    for (const d of domains) {
      const next = suffixMatch(d, td) ? p : [d, ...parts.slice(1)].join('/');
      if (!out.includes(next)) out.push(next);
    }
  }
  return out;
}

/** `source.trustDomain` values: one that names a trust domain of `domains` names them all. */
export function expandTrustDomains(values: readonly string[], domains: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) for (const d of domains.includes(v) ? domains : [v]) if (!out.includes(d)) out.push(d);
  return out;
}
