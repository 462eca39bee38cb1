/** Host names as Istio reads them in config: short names resolve in the referring namespace. */
import { resolveGatewayName } from '../model/hosts.js';

/** `reviews` in namespace `default` → `reviews.default.svc.cluster.local`; names with a dot and wildcards stay as written. */
export function resolveHost(host: string, namespace: string, domainSuffix: string): string {
  const h = host.toLowerCase();
  if (h === '' || h.startsWith('*') || h.includes('.')) return h;
  return `${h}.${namespace}.svc.${domainSuffix}`;
}

/** The namespace of an in-cluster FQDN (`name.ns.svc.<suffix>`), or undefined for any other name. */
export function hostNamespace(fqdn: string, domainSuffix: string): string | undefined {
  const tail = `.svc.${domainSuffix}`;
  if (!fqdn.endsWith(tail)) return undefined;
  const parts = fqdn.slice(0, -tail.length).split('.');
  return parts.length === 2 && parts[0] && parts[1] ? parts[1] : undefined;
}

/** Does `pattern` (exact, `*.suffix` or `*`) cover `host`? A wildcard covers one or more leading labels. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host || pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return false;
}

/** A VirtualService `gateways` entry: `mesh`, `ns/name`, `./name` or `name` (referrer's namespace), or the legacy `name.ns[.svc…]`. */
export type GatewayRef = { mesh: true } | { mesh: false; namespace: string; name: string };

export function parseGatewayRef(ref: string, namespace: string): GatewayRef {
  // As the generators resolve it (model/hosts.ts), `./name` included.
  const resolved = resolveGatewayName(ref, namespace);
  if (resolved === 'mesh') return { mesh: true };
  const slash = resolved.indexOf('/');
  return { mesh: false, namespace: resolved.slice(0, slash), name: resolved.slice(slash + 1) };
}
