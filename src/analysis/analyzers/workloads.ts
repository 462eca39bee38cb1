/**
 * Label selectors that should pick workloads: DestinationRule subsets (through their host's Service or
 * ServiceEntry), Sidecar, security policy, Telemetry, ProxyConfig and WasmPlugin selectors, Gateway selectors.
 * Workloads are Pods, pod templates of workload controllers, WorkloadEntries and WorkloadGroup templates.
 * A namespace the input has no workloads in is not judged: the input simply does not describe it.
 */
import { finding, type Finding } from '../finding.js';
import { arr, formatLabels, labelMap, rec, selects, str } from '../shape.js';
import { nsOf, type HostEntry, type Workload, type World } from '../world.js';

export const isProxyWorkload = (wl: Workload): boolean => wl.kind !== 'ServiceEntry endpoint';

/** Does some workload behind `entry` carry the subset's labels? undefined when the input cannot tell. */
function subsetSelects(w: World, entry: HostEntry, subsetLabels: Record<string, string>): boolean | undefined {
  if (entry.kind === 'Service') {
    if (Object.keys(entry.selector).length === 0 || !w.hasWorkloadsIn(entry.namespace)) return undefined;
    return w.matchWorkloads({ ...entry.selector, ...subsetLabels }, entry.namespace).some(isProxyWorkload);
  }
  const endpoints = arr(rec(entry.object.spec).endpoints).map((e) => labelMap(rec(e).labels));
  const hasSelector = Object.keys(entry.selector).length > 0;
  if (!hasSelector && endpoints.length === 0) return undefined;
  if (endpoints.some((l) => selects(subsetLabels, l))) return true;
  if (!hasSelector || !w.hasWorkloadsIn(entry.namespace)) return endpoints.length > 0 ? false : undefined;
  return w.matchWorkloads({ ...entry.selector, ...subsetLabels }, entry.namespace).some(isProxyWorkload);
}

export function destinationRuleSubsets(w: World): Finding[] {
  const out: Finding[] = [];
  for (const dr of w.subjects('DestinationRule')) {
    const spec = rec(dr.spec);
    const host = str(spec.host);
    if (!host || host.startsWith('*')) continue;
    const entries = w.lookupHost(w.resolve(host, nsOf(dr))).filter((e) => !e.host.startsWith('*'));
    if (entries.length === 0) continue;
    for (const [i, s] of arr(spec.subsets).entries()) {
      const labels = labelMap(rec(s).labels);
      if (Object.keys(labels).length === 0) continue;
      const verdicts = entries.map((e) => subsetSelects(w, e, labels));
      if (verdicts.includes(true) || verdicts.every((v) => v === undefined)) continue;
      const name = str(rec(s).name) ?? `#${i}`;
      out.push(finding('IST0173', dr, `Subset "${name}" (${formatLabels(labels)}) selects no workload of host "${host}": requests routed to it fail with 503 (no healthy upstream)`, `spec.subsets[${i}]`));
    }
  }
  return out;
}

/**
 * `ownNamespace`: the selector picks workloads of the resource's namespace only, in a root namespace too (as the
 * generators read them: sidecar-scope.ts, peer-auth.ts, telemetry.ts, inject/proxy-configs.ts); the others, from a
 * root namespace (world.rootNamespaces, the mesh config's), pick workloads of every namespace.
 */
const SELECTORS: Array<{ kind: string; path: string; get: (spec: Record<string, unknown>) => unknown; ownNamespace?: true }> = [
  { kind: 'Sidecar', path: 'spec.workloadSelector.labels', get: (s) => rec(s.workloadSelector).labels, ownNamespace: true },
  { kind: 'AuthorizationPolicy', path: 'spec.selector.matchLabels', get: (s) => rec(s.selector).matchLabels },
  { kind: 'PeerAuthentication', path: 'spec.selector.matchLabels', get: (s) => rec(s.selector).matchLabels, ownNamespace: true },
  { kind: 'RequestAuthentication', path: 'spec.selector.matchLabels', get: (s) => rec(s.selector).matchLabels },
  { kind: 'Telemetry', path: 'spec.selector.matchLabels', get: (s) => rec(s.selector).matchLabels, ownNamespace: true },
  { kind: 'ProxyConfig', path: 'spec.selector.matchLabels', get: (s) => rec(s.selector).matchLabels, ownNamespace: true },
  // From a root namespace a WasmPlugin's selector picks workloads of every namespace (xds/gen/wasm.ts).
  { kind: 'WasmPlugin', path: 'spec.selector.matchLabels', get: (s) => rec(s.selector).matchLabels },
];

export function policySelectors(w: World): Finding[] {
  const out: Finding[] = [];
  for (const { kind, path, get, ownNamespace } of SELECTORS) {
    for (const o of w.subjects(kind)) {
      const sel = labelMap(get(rec(o.spec)));
      if (Object.keys(sel).length === 0) continue;
      const ns = nsOf(o);
      const meshWide = !ownNamespace && w.rootNamespaces.has(ns);
      if (meshWide ? !w.hasAnyWorkload() : !w.hasWorkloadsIn(ns)) continue;
      if (w.matchWorkloads(sel, meshWide ? undefined : ns).some(isProxyWorkload)) continue;
      const where = meshWide ? 'in any namespace' : `in namespace "${ns}"`;
      out.push(finding('IST0127', o, `No matching workloads for this resource with the following labels: ${formatLabels(sel)} (${where})`, path));
    }
  }
  return out;
}

export function gatewaySelectors(w: World): Finding[] {
  const out: Finding[] = [];
  for (const gw of w.subjects('Gateway')) {
    const sel = labelMap(rec(gw.spec).selector);
    if (Object.keys(sel).length === 0) continue;
    if (w.matchWorkloads(sel).some(isProxyWorkload)) continue;
    out.push(
      finding(
        'MZ0005',
        gw,
        `No workload in the input has the labels ${formatLabels(sel)}; the gateway proxy that serves this Gateway must exist in the cluster (it is usually installed with the control plane)`,
        'spec.selector',
      ),
    );
  }
  return out;
}
