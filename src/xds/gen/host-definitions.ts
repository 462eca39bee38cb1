/**
 * Which definition of a host a namespace's proxies get. A ServiceEntry may name any host, so several ServiceEntries
 * (of several namespaces, each team its own `exportTo: ["."]` entry for one external API) and a Kubernetes Service
 * may define one host. The snapshot keeps the first definition in `services` and the others in `alternatives`
 * (model/host-definitions.ts); as in Istio, the proxies of a namespace get, among the definitions visible there, a
 * Kubernetes Service if there is one, else the first exported to that namespace by name (`.` from its own
 * namespace, or the namespace named), else the first public one (`*`, or no exportTo under an everywhere default).
 * Pure.
 */
import type { Endpoint, Service, Snapshot } from '../../model/types.js';

/**
 * exportTo: `*` everyone, `.` the service's own namespace, or named namespaces (`~`: no one). None said: `fallback`
 * (the mesh config's default for the kind), else everyone.
 */
export function visibleTo(exportTo: readonly string[] | undefined, ownNamespace: string, proxyNamespace: string, fallback?: readonly string[]): boolean {
  if (!exportTo || exportTo.length === 0) {
    if (!fallback || fallback.length === 0) return true;
    exportTo = fallback;
  }
  return exportTo.some((e) => e === '*' || e === proxyNamespace || (e === '.' && ownNamespace === proxyNamespace));
}

/** The exportTo a service goes by: its own, else the mesh config's default for services, else everyone. */
function effectiveExportTo(snap: Snapshot, svc: Service): readonly string[] {
  if (svc.exportTo.length > 0) return svc.exportTo;
  const fallback = snap.mesh.defaultExportTo?.services;
  return fallback && fallback.length > 0 ? fallback : ['*'];
}

/** 0: a Kubernetes Service; 1: exported to `namespace` by name; 2: public; undefined: not visible there. */
function rank(snap: Snapshot, svc: Service, namespace: string): number | undefined {
  const exportTo = effectiveExportTo(snap, svc);
  if (!visibleTo(exportTo, svc.namespace, namespace)) return undefined;
  if (svc.source === 'kubernetes') return 0;
  return exportTo.includes('*') ? 2 : 1;
}

const chosenMemo = new WeakMap<ReadonlyMap<string, unknown>, Map<string, Map<string, Service | null>>>();

/**
 * The definition of `host` that proxies of `namespace` get, or undefined when none is visible there (exportTo; a
 * Sidecar's egress scope narrows this further, context.ts).
 */
export function definitionFor(snap: Snapshot, namespace: string, host: string): Service | undefined {
  const primary = snap.services.get(host);
  const others = snap.alternatives.get(host);
  if (!others) return primary && visibleTo(primary.exportTo, primary.namespace, namespace, snap.mesh.defaultExportTo?.services) ? primary : undefined;
  let byNs = chosenMemo.get(snap.alternatives);
  if (!byNs) chosenMemo.set(snap.alternatives, (byNs = new Map()));
  let byHost = byNs.get(namespace);
  if (!byHost) byNs.set(namespace, (byHost = new Map()));
  let chosen = byHost.get(host);
  if (chosen === undefined) {
    chosen = null;
    let best = Infinity;
    // In definition order (Kubernetes first, then ServiceEntries oldest first): the first of the best rank wins.
    for (const svc of [...(primary ? [primary] : []), ...others.map((d) => d.service)]) {
      const r = rank(snap, svc, namespace);
      if (r !== undefined && r < best) [best, chosen] = [r, svc];
    }
    byHost.set(host, chosen);
  }
  return chosen ?? undefined;
}

/**
 * The definition of `host` for `namespace` where one is visible, else the first definition: for lookups that
 * never asked about visibility (a destination's ports, a cluster's DestinationRule), now per namespace.
 */
export const hostService = (snap: Snapshot, namespace: string, host: string): Service | undefined => definitionFor(snap, namespace, host) ?? snap.services.get(host);

/** The endpoints of a service: the first definition's are `endpoints`, the others' are kept beside them. */
export function endpointsOf(snap: Snapshot, svc: Service): Endpoint[] | undefined {
  if (snap.services.get(svc.hostname) === svc) return snap.endpoints.get(svc.hostname);
  const other = snap.alternatives.get(svc.hostname)?.find((d) => d.service === svc);
  return other ? other.endpoints : snap.endpoints.get(svc.hostname);
}
