/**
 * localityLbSetting.failoverPriority, as istiod's applyFailoverPriorities does it: an ordered list of labels, each a
 * key (the endpoint's value must equal the client proxy's) or `key=value` (the endpoint's must equal that value).
 * An endpoint's priority is the number of labels it fails to match, counted from the first: all N matched 0, the
 * first N-1 but not the last 1, … none N (the nth label counts only once the first n-1 matched). Each locality's
 * endpoints are split by that priority into groups of their own, weighted by their endpoints.
 *
 * Labels are compared as Istio augments them (its AugmentLabels): topology.kubernetes.io/region, …/zone and
 * topology.istio.io/subzone are an endpoint's (or the proxy's) locality where it has one, topology.istio.io/cluster
 * its cluster (every endpoint mizzen knows is in the one cluster it reads; a proxy's is its CLUSTER_ID metadata),
 * topology.istio.io/network the workload's label, else (a proxy) its NETWORK metadata, kubernetes.io/hostname the
 * endpoint's node, a proxy's NODE_NAME metadata. A proxy without labels (even augmented) gets no label priorities,
 * as in istiod. Pure.
 */
import type { Endpoint, Snapshot } from '../../model/types.js';
import { asArray, asObject } from '../../model/selectors.js';
import { CLUSTER_ID } from '../../core/constants.js';
import type { Json } from './common.js';

export const TOPOLOGY = {
  region: 'topology.kubernetes.io/region',
  zone: 'topology.kubernetes.io/zone',
  subzone: 'topology.istio.io/subzone',
  cluster: 'topology.istio.io/cluster',
  network: 'topology.istio.io/network',
  /** The node: an endpoint's (model Endpoint.node), a proxy's NODE_NAME metadata, as Istio's AugmentLabels adds it. */
  hostname: 'kubernetes.io/hostname',
} as const;

/** One entry of a failoverPriority list: the label key, and the value to match when it says one (`key=value`). */
export interface PriorityLabel {
  key: string;
  value?: string;
}

/** The entries of a failoverPriority list (non-strings dropped); `a=b=c` is the key `a` with no value, as in istiod. */
export function priorityLabels(list: unknown): PriorityLabel[] {
  return asArray(list)
    .filter((s): s is string => typeof s === 'string')
    .map((s) => {
      const parts = s.split('=');
      return parts.length === 2 ? { key: parts[0]!, value: parts[1]! } : { key: parts[0]! };
    });
}

const localityLabels = (locality: string): Record<string, string> => {
  const [region = '', zone = '', subzone = ''] = locality.split('/');
  return { ...(region && { [TOPOLOGY.region]: region }), ...(zone && { [TOPOLOGY.zone]: zone }), ...(subzone && { [TOPOLOGY.subzone]: subzone }) };
};

/** A proxy's labels with the topology ones: its locality's parts, its cluster id, and its network unless labelled. */
export function proxyTopologyLabels(labels: Readonly<Record<string, string>>, locality: string, metadata: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = { ...labels, ...localityLabels(locality) };
  if (typeof metadata.CLUSTER_ID === 'string' && metadata.CLUSTER_ID) out[TOPOLOGY.cluster] = metadata.CLUSTER_ID;
  if (!out[TOPOLOGY.network] && typeof metadata.NETWORK === 'string' && metadata.NETWORK) out[TOPOLOGY.network] = metadata.NETWORK;
  // NODE_NAME comes from the downward API; an unexpanded $(…) means the proxy does not know its node.
  if (typeof metadata.NODE_NAME === 'string' && metadata.NODE_NAME && !metadata.NODE_NAME.startsWith('$(')) out[TOPOLOGY.hostname] = metadata.NODE_NAME;
  return out;
}

/** An endpoint's value of a label, topology labels as Istio augments them; '' when it has none. */
export function endpointLabel(e: Endpoint, key: string): string {
  if (key === TOPOLOGY.cluster) return CLUSTER_ID;
  if (key === TOPOLOGY.region || key === TOPOLOGY.zone || key === TOPOLOGY.subzone) return localityLabels(e.locality)[key] ?? e.labels[key] ?? '';
  if (key === TOPOLOGY.hostname) return e.node ?? e.labels[key] ?? '';
  return e.labels[key] ?? '';
}

/** An endpoint's priority for a proxy with these (augmented) labels: N minus how many labels it matches in order. */
export function labelPriority(proxyLabels: Readonly<Record<string, string>>, e: Endpoint, labels: readonly PriorityLabel[]): number {
  for (let j = 0; j < labels.length; j++) {
    const { key, value } = labels[j]!;
    if (endpointLabel(e, key) !== (value ?? proxyLabels[key] ?? '')) return labels.length - j;
  }
  return 0;
}

/**
 * What of the proxy's labels the list reads, as a memo key: '' when it has no labels (nothing applies), else the
 * proxy's values of the keys named without a value.
 */
export function priorityKey(labels: readonly PriorityLabel[], proxyLabels: Readonly<Record<string, string>>): string {
  if (Object.keys(proxyLabels).length === 0) return '';
  return `fp:${JSON.stringify(labels.filter((l) => l.value === undefined).map((l) => proxyLabels[l.key] ?? ''))}`;
}

/**
 * Each locality group of an assignment split by label priority (groups in order, each one's splits by rising
 * priority), with the raw priority of each split: `groups[i]` are the endpoints of `assignment.endpoints[i]`, in the
 * order of its lb_endpoints.
 */
export function splitByPriority(assignment: Json, groups: ReadonlyArray<readonly Endpoint[]>, proxyLabels: Readonly<Record<string, string>>, labels: readonly PriorityLabel[]): Array<{ group: Json; priority: number }> {
  const localities: Json[] = Array.isArray(assignment.endpoints) ? assignment.endpoints : [];
  return localities.flatMap((g, i) => {
    const eps = groups[i] ?? [];
    const lbs: Json[] = Array.isArray(g.lb_endpoints) ? g.lb_endpoints : [];
    if (eps.length !== lbs.length) throw new Error(`failoverPriority: locality group ${i} has ${lbs.length} lb_endpoints but ${eps.length} endpoints`);
    const byPriority = new Map<number, Json[]>();
    lbs.forEach((lb, k) => {
      const p = labelPriority(proxyLabels, eps[k]!, labels);
      byPriority.set(p, [...(byPriority.get(p) ?? []), lb]);
    });
    return [...byPriority.keys()]
      .sort((a, b) => a - b)
      .map((priority) => {
        const members = byPriority.get(priority)!;
        const weight = members.reduce((n, lb) => n + (lb.load_balancing_weight?.value ?? 1), 0);
        return { group: { ...g, lb_endpoints: members, load_balancing_weight: { value: weight } }, priority };
      });
  });
}

/** Raw priorities renumbered 0, 1, 2… in order, without gaps. */
const renumber = (raw: readonly number[]): number[] => {
  const levels = [...new Set(raw)].sort((a, b) => a - b);
  return raw.map((p) => levels.indexOf(p));
};

/** Locality groups with their raw priorities renumbered without gaps (priority 0 left unsaid), as Envoy wants them. */
export const prioritized = (groups: ReadonlyArray<{ group: Json; priority: number }>): Json[] => {
  const ranks = renumber(groups.map((g) => g.priority));
  return groups.map(({ group }, i) => {
    const { priority: _, ...rest } = group;
    return ranks[i] ? { ...rest, priority: ranks[i] } : rest;
  });
};

const named = new WeakMap<object, ReadonlySet<string> | null>();

/**
 * Keys of the failoverPriority lists (of a localityLbSetting or zoneAwareLbSetting) anywhere in a rule's spec
 * (traffic policy, ports, subsets).
 */
function collect(v: unknown, out: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) collect(x, out);
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'localityLbSetting' || k === 'zoneAwareLbSetting') for (const l of priorityLabels(asObject(x).failoverPriority)) if (l.value === undefined) out.add(l.key);
      collect(x, out);
    }
  }
}

/**
 * The label keys some failoverPriority in the snapshot (its DestinationRules, the mesh config's locality and
 * zone-aware settings) compares with the
 * proxy's, sorted; undefined when none has a failoverPriority.
 */
export function namedPriorityLabels(snap: Snapshot): string[] | undefined {
  let fromRules = named.get(snap.destinationRules);
  if (fromRules === undefined) {
    const keys = new Set<string>();
    const any = snap.destinationRules.some((dr) => JSON.stringify(dr.spec ?? {}).includes('"failoverPriority"'));
    for (const dr of snap.destinationRules) collect(dr.spec, keys);
    named.set(snap.destinationRules, (fromRules = any ? keys : null));
  }
  const mesh = [...asArray(snap.mesh.localityLb?.failoverPriority), ...asArray(snap.mesh.zoneAwareLb?.failoverPriority)];
  if (!fromRules && mesh.length === 0) return undefined;
  const keys = new Set(fromRules ?? []);
  for (const l of priorityLabels(mesh)) if (l.value === undefined) keys.add(l.key);
  return [...keys].sort();
}
