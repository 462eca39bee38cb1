/**
 * Every definition of each host, as the snapshot keeps them. A Kubernetes Service defines its own host; a
 * ServiceEntry may define any host, so one host may have several definitions: ServiceEntries of several namespaces,
 * or a ServiceEntry beside a Kubernetes Service. Definitions come in the order the caller gives (Kubernetes Services
 * first, then ServiceEntries oldest first). ServiceEntries of one namespace that define a host alike (same
 * resolution, labels, workload selector and exportTo, as istiod merges them) are one definition: the first one's,
 * with the ports only the later ones have, and all their endpoints. The first definition is the host's service;
 * which one a namespace's proxies get is the generators' choice (xds/gen/host-definitions.ts). Pure.
 */
import { shortHash } from '../core/hash.js';
import type { Endpoint, HostDefinition, Service } from './types.js';
import { endpointOrder, hostDigest } from './state.js';

const sameMap = (a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean => {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b ?? {}).length && ka.every((k) => (a ?? {})[k] === (b ?? {})[k]);
};
const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
};

/** Whether ServiceEntry definitions `b` joins `a` (istiod's rule for merging two services of one host). */
function mergeable(a: Service, b: Service): boolean {
  return (
    a.source === 'serviceentry' &&
    b.source === 'serviceentry' &&
    a.namespace === b.namespace &&
    a.resolution === b.resolution &&
    sameMap(a.labels, b.labels) &&
    sameMap(a.selector, b.selector) &&
    (a.selector === undefined) === (b.selector === undefined) &&
    sameSet(a.exportTo, b.exportTo)
  );
}

/** `a` with the ports of `b` whose numbers it lacks, and the endpoints of both. */
function merged(a: HostDefinition, b: HostDefinition): HostDefinition {
  const extra = b.service.ports.filter((p) => !a.service.ports.some((q) => q.port === p.port));
  return { service: extra.length > 0 ? { ...a.service, ports: [...a.service.ports, ...extra] } : a.service, endpoints: [...a.endpoints, ...b.endpoints] };
}

/** Sorted, each endpoint once: merged ServiceEntries may both resolve the host on one port. */
function sortedOnce(eps: readonly Endpoint[]): Endpoint[] {
  const sorted = [...eps].sort(endpointOrder);
  return sorted.filter((e, i) => i === 0 || endpointOrder(sorted[i - 1]!, e) !== 0);
}

/**
 * The definitions of each host, in the order given, ServiceEntries that merge made one; every ServiceEntry
 * definition's endpoints sorted (endpointOrder), a merged one's each once, Kubernetes ones as given.
 */
export function groupDefinitions(found: readonly HostDefinition[]): Map<string, HostDefinition[]> {
  const out = new Map<string, HostDefinition[]>();
  const joined = new Set<HostDefinition>();
  for (const f of found) {
    const host = f.service.hostname;
    let defs = out.get(host);
    if (!defs) out.set(host, (defs = []));
    const i = defs.findIndex((d) => mergeable(d.service, f.service));
    if (i >= 0) joined.add((defs[i] = merged(defs[i]!, f)));
    else defs.push(f);
  }
  for (const defs of out.values()) {
    for (let i = 0; i < defs.length; i++) {
      const d = defs[i]!;
      if (d.service.source === 'serviceentry') defs[i] = { service: d.service, endpoints: joined.has(d) ? sortedOnce(d.endpoints) : [...d.endpoints].sort(endpointOrder) };
    }
  }
  return out;
}

/** Digest of a host: its first definition and endpoints, then every other definition's. */
export function definitionsDigest(service: Service, endpoints: readonly Endpoint[], alternatives: readonly HostDefinition[] | undefined): string {
  const first = hostDigest(service, endpoints);
  return alternatives && alternatives.length > 0 ? shortHash([first, ...alternatives.map((d) => hostDigest(d.service, d.endpoints))].join('\n')) : first;
}
