/** Host names as the generators resolve them (and the analyzers that must agree with the generators). Pure. */

/** Short forms of a host as Istio resolves them: `reviews` and `reviews.default` in namespace `default`. */
export function resolveHost(host: string, namespace: string, domainSuffix: string): string {
  if (host.includes('*')) return host;
  const parts = host.split('.');
  if (parts.length === 1) return `${host}.${namespace}.svc.${domainSuffix}`;
  if (parts.length === 2) return `${host}.svc.${domainSuffix}`;
  return host;
}

/**
 * An external authorization provider's `service`: `namespace/host` names the host in that namespace, else the host
 * resolves in `namespace`, as resolveHost does.
 */
export function resolveServiceRef(service: string, namespace: string, domainSuffix: string): string {
  const slash = service.indexOf('/');
  return slash > 0 ? resolveHost(service.slice(slash + 1), service.slice(0, slash), domainSuffix) : resolveHost(service, namespace, domainSuffix);
}
