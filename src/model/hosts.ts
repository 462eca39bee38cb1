/** Host names as the generators resolve them (and the analyzers that must agree with the generators). Pure. */

/** Short forms of a host as Istio resolves them: `reviews` and `reviews.default` in namespace `default`. */
export function resolveHost(host: string, namespace: string, domainSuffix: string): string {
  if (host.includes('*')) return host;
  const parts = host.split('.');
  if (parts.length === 1) return `${host}.${namespace}.svc.${domainSuffix}`;
  if (parts.length === 2) return `${host}.svc.${domainSuffix}`;
  return host;
}
