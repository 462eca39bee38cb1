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

/**
 * A VirtualService's reference to a gateway (in `spec.gateways` or a match's `gateways`) as istiod resolves it:
 * `mesh`; `namespace/name`, with `./name` in the VirtualService's own namespace; a bare `name` in that namespace;
 * and the legacy `name.namespace[.svc.…]` form, whose first two labels are the name and the namespace.
 */
export function resolveGatewayName(ref: string, namespace: string): string {
  if (ref === 'mesh') return ref;
  const slash = ref.indexOf('/');
  if (slash >= 0) return ref.slice(0, slash) === '.' ? `${namespace}/${ref.slice(slash + 1)}` : ref;
  const [name, ns] = ref.split('.');
  return ns === undefined ? `${namespace}/${ref}` : `${ns}/${name}`;
}
