/**
 * What every Envoy generator needs to know about one proxy, derived once from the snapshot: its labels (from
 * node metadata, else the workload with its IP), the services it can see (exportTo), the services that select it
 * (its inbound ports), and lookups for DestinationRules. Pure.
 */
import type { Config, Service, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { matchesLabels } from '../../model/selectors.js';

/** The proxy's workload labels: node metadata LABELS, else the registry's workload at the proxy's IP. */
export function proxyLabels(snap: Snapshot, proxy: Proxy): Record<string, string> {
  if (Object.keys(proxy.labels).length > 0) return proxy.labels;
  const w = snap.workloads.find((x) => x.ip === proxy.ip && x.namespace === proxy.namespace) ?? snap.workloads.find((x) => x.ip === proxy.ip);
  return w?.labels ?? {};
}

/** exportTo: `*` everyone, `.` the service's own namespace, or named namespaces. */
export function visibleTo(exportTo: readonly string[] | undefined, ownNamespace: string, proxyNamespace: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some((e) => e === '*' || e === proxyNamespace || (e === '.' && ownNamespace === proxyNamespace));
}

/** Services the proxy can reach, sorted by hostname. */
export function visibleServices(snap: Snapshot, proxy: Proxy): Service[] {
  return [...snap.services.values()].filter((s) => visibleTo(s.exportTo, s.namespace, proxy.namespace));
}

/** Services in the proxy's namespace whose selector matches its labels: the proxy serves their ports inbound. */
export function inboundServices(snap: Snapshot, proxy: Proxy, labels = proxyLabels(snap, proxy)): Service[] {
  if (Object.keys(labels).length === 0) return [];
  return [...snap.services.values()].filter((s) => s.namespace === proxy.namespace && s.selector && Object.keys(s.selector).length > 0 && matchesLabels(labels, s.selector));
}

/** Short forms of a host as Istio resolves them: `reviews` and `reviews.default` in namespace `default`. */
export function resolveHost(host: string, namespace: string, domainSuffix: string): string {
  if (host.includes('*')) return host;
  const parts = host.split('.');
  if (parts.length === 1) return `${host}.${namespace}.svc.${domainSuffix}`;
  if (parts.length === 2) return `${host}.svc.${domainSuffix}`;
  return host;
}

/** `*.example.com` matches `a.example.com`; `*` matches everything; otherwise exact. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return host.endsWith(pattern.slice(1));
  return pattern === host;
}

export function configVisible(c: Config, proxyNamespace: string): boolean {
  const exportTo: unknown = c.spec?.exportTo;
  return visibleTo(Array.isArray(exportTo) ? exportTo.filter((x): x is string => typeof x === 'string') : undefined, c.namespace, proxyNamespace);
}

/**
 * The DestinationRule for a host as seen from the proxy's namespace: Istio prefers one in the proxy's namespace,
 * then one in the service's namespace, then the root namespace; among equals the oldest. Exact hosts beat wildcards.
 */
export function destinationRuleFor(snap: Snapshot, proxyNamespace: string, svc: Service): Config | undefined {
  const candidates = snap.destinationRules.filter((dr) => {
    const h = typeof dr.spec?.host === 'string' ? resolveHost(dr.spec.host, dr.namespace, snap.domainSuffix) : undefined;
    return h !== undefined && hostMatches(h, svc.hostname) && configVisible(dr, proxyNamespace) && workloadSelectorless(dr);
  });
  const rank = (dr: Config): number => {
    const exact = resolveHost(dr.spec.host, dr.namespace, snap.domainSuffix) === svc.hostname ? 0 : 3;
    const where = dr.namespace === proxyNamespace ? 0 : dr.namespace === svc.namespace ? 1 : 2;
    return exact + where;
  };
  let best: Config | undefined;
  for (const c of candidates) if (!best || rank(c) < rank(best)) best = c;
  return best;
}

const workloadSelectorless = (c: Config): boolean => !c.spec?.workloadSelector;

/** Services selected by a host in a VS/DR/Gateway, resolved in `namespace`. */
export function servicesForHost(services: readonly Service[], host: string, namespace: string, domainSuffix: string): Service[] {
  const h = resolveHost(host, namespace, domainSuffix);
  return services.filter((s) => hostMatches(h, s.hostname));
}
