/**
 * Locality load balancing, as istiod's ApplyLocalityLoadBalancer does it, with the localityLbSetting of the
 * cluster's DestinationRule, else the mesh config's (enabled by default; `enabled: false` turns it off):
 * - `distribute` (from the proxy's locality, by pattern like `region/zone/*`): the localities each `to` pattern
 *   names share its weight in proportion to their own, and the localities no pattern names get no traffic;
 * - else, failover where the policy has outlierDetection (Envoy and gRPC only leave a priority once its endpoints
 *   are ejected or gone): each locality gets a priority by how near it is to the proxy: same region, zone and
 *   sub-zone 0, same zone 1, same region 2, elsewhere 3, and with `failover` (from the proxy's region to another),
 *   the regions not named as that target after it; renumbered 0, 1, 2… without gaps;
 * - with `failoverPriority` (failover-priority.ts), also only with outlierDetection: priorities by the ordered labels
 *   the endpoints match with the proxy, locality not considered unless `failover` is set too: then each label
 *   priority is split again by locality nearness (label first), and the whole renumbered without gaps.
 * A Service whose trafficDistribution is PreferSameZone (PreferClose, its former name; the annotation
 * networking.istio.io/traffic-distribution too, on it, on a ServiceEntry, or on its namespace) gets failoverPriority by
 * network, region and zone (subzone disregarded, as since Istio 1.27), and PreferSameNode by those, subzone and node,
 * where its cluster's DestinationRule sets no localityLbSetting, outlier detection or not, as in istiod.
 * A zoneAwareLbSetting (the rule's, or the mesh config's where the rule has no locality setting and the Service no
 * traffic distribution) takes the place of all that: zone-aware.ts.
 * A proxy's locality: the node's, its workload labels', else its endpoint's in the registry (a workload that no
 * service selects has none, and gets neither distribute nor locality failover). Pure.
 */
import type { Endpoint, Service, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { asArray, asObject } from '../../model/selectors.js';
import type { Json } from './common.js';
import { localityOf } from '../../model/registry.js';
import { proxyLabels } from './context.js';
import { type PriorityLabel, TOPOLOGY, namedPriorityLabels, prioritized, priorityKey, priorityLabels, proxyTopologyLabels, splitByPriority } from './failover-priority.js';
import { type Failover, type ZoneAware, applyZoneAware, failoverRules, ownZoneAware, zoneAwareKey, zoneAwareOf } from './zone-aware.js';

const localityRules = new WeakMap<object, boolean>();

/**
 * Whether locality load balancing can make proxies in different localities get different endpoints (the mesh
 * config distributes or is zone-aware, or a DestinationRule has outlierDetection, distribute or zoneAwareLbSetting
 * somewhere): only then does a proxy's scope include its locality.
 */
export function localityMatters(snap: Snapshot): boolean {
  if (asArray(snap.mesh.localityLb?.distribute).length > 0 || snap.mesh.zoneAwareLb !== undefined || nearestFirst(snap)) return true;
  let v = localityRules.get(snap.destinationRules);
  if (v === undefined) localityRules.set(snap.destinationRules, (v = snap.destinationRules.some((dr) => /"(outlierDetection|distribute|zoneAwareLbSetting)"/.test(JSON.stringify(dr.spec ?? {})))));
  return v;
}

/** `region/zone/subzone` of a proxy (its node's, its workload labels', else its endpoint's); '' when unknown. */
export function proxyLocality(snap: Snapshot, proxy: Proxy): string {
  if (proxy.locality) return proxy.locality;
  const labelled = localityOf(proxyLabels(snap, proxy));
  if (labelled) return labelled;
  const index = snap.localityIndex;
  if (!index.byIp) {
    index.byIp = new Map();
    for (const eps of index.endpoints.values()) for (const e of eps) if (e.locality && !index.byIp.has(e.address)) index.byIp.set(e.address, e.locality);
  }
  return index.byIp.get(proxy.ip) ?? '';
}

/** Where a proxy is, as locality load balancing reads it: its locality and its labels with the topology ones. */
export interface ProxyPlace {
  locality: string;
  labels: Readonly<Record<string, string>>;
}

export function proxyPlace(snap: Snapshot, proxy: Proxy): ProxyPlace {
  const locality = proxyLocality(snap, proxy);
  return { locality, labels: proxyTopologyLabels(proxyLabels(snap, proxy), locality, proxy.metadata) };
}

/**
 * The part of a proxy's scope that failoverPriority reads: when some rule (or the mesh config) has one, whether the
 * proxy has labels and its values of the labels such lists compare with its own; '' otherwise.
 */
export function failoverPriorityScope(snap: Snapshot, proxy: Proxy): string {
  const named = namedPriorityLabels(snap);
  const keys = nearestFirst(snap) ? [...new Set([...(named ?? []), ...nearestFirstKeys(snap)])].sort() : named;
  if (!keys) return '';
  const { labels } = proxyPlace(snap, proxy);
  return JSON.stringify([Object.keys(labels).length > 0, ...keys.map((k) => labels[k] ?? '')]);
}

export type Distribute = ReadonlyArray<{ from: string; to: ReadonlyArray<[string, number]> }>;
export type { Failover };
export type LocalityPlan = { failover: Failover; failoverPriority?: readonly PriorityLabel[] } | { distribute: Distribute } | { zoneAware: ZoneAware };

/**
 * The orders a Service's trafficDistribution asks for, as istiod gives them to sidecars: the endpoints that share
 * the proxy's network, region and zone first (PreferSameZone), or also its subzone and node (PreferSameNode), then
 * fewer of them; failover without outlier detection, since the Service asked for it (a DestinationRule's own
 * localityLbSetting wins).
 */
export const NEAREST_FIRST: Readonly<Record<NonNullable<Service['trafficDistribution']>, readonly PriorityLabel[]>> = {
  PreferSameZone: priorityLabels([TOPOLOGY.network, TOPOLOGY.region, TOPOLOGY.zone]),
  PreferSameNode: priorityLabels([TOPOLOGY.network, TOPOLOGY.region, TOPOLOGY.zone, TOPOLOGY.subzone, TOPOLOGY.hostname]),
};

const nearestMemo = new WeakMap<object, readonly string[]>();

/** The labels the traffic distributions of the snapshot's services compare (sorted; none when no service has one). */
export function nearestFirstKeys(snap: Snapshot): readonly string[] {
  let v = nearestMemo.get(snap.services);
  if (v === undefined) {
    const keys = new Set<string>();
    for (const s of snap.services.values()) if (s.trafficDistribution) for (const l of NEAREST_FIRST[s.trafficDistribution]) keys.add(l.key);
    nearestMemo.set(snap.services, (v = [...keys].sort()));
  }
  return v;
}

/** Whether some service of the snapshot asks for its nearest endpoints first. */
export const nearestFirst = (snap: Snapshot): boolean => nearestFirstKeys(snap).length > 0;

/**
 * What locality load balancing does to the endpoints of clusters with this policy (of `service`); undefined:
 * nothing. Chosen as istiod does: the rule's zoneAwareLbSetting, else its localityLbSetting, else the service's
 * traffic distribution, else the mesh config's zoneAwareLbSetting (`meshZoneAware`), else its localityLbSetting.
 */
export function localityPlan(
  policy: Json | undefined,
  mesh: Record<string, unknown> | undefined,
  service?: Pick<Service, 'trafficDistribution'>,
  meshZoneAware?: Record<string, unknown>,
): LocalityPlan | undefined {
  const zoneAware = ownZoneAware(policy);
  if (zoneAware) return { zoneAware: zoneAwareOf(zoneAware) };
  const own = asObject(asObject(policy?.loadBalancer).localityLbSetting);
  if (Object.keys(own).length === 0 && service?.trafficDistribution) return { failover: [], failoverPriority: NEAREST_FIRST[service.trafficDistribution] };
  if (Object.keys(own).length === 0 && meshZoneAware) return { zoneAware: zoneAwareOf(meshZoneAware) };
  const setting = Object.keys(own).length > 0 ? own : asObject(mesh ?? { enabled: true });
  if (setting.enabled === false) return undefined;
  const distribute = asArray(setting.distribute)
    .map(asObject)
    .filter((d) => typeof d.from === 'string')
    .map((d) => ({ from: d.from as string, to: Object.entries(asObject(d.to)).filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0) }));
  if (distribute.length > 0) return { distribute };
  if (!policy || policy.outlierDetection === undefined) return undefined;
  const failover = failoverRules(setting.failover);
  const failoverPriority = priorityLabels(setting.failoverPriority);
  return failoverPriority.length > 0 ? { failover, failoverPriority } : { failover };
}

/**
 * What of the proxy's place the plan reads, as a memo key for the assignment it makes: '' when the plan changes
 * nothing for this proxy (no locality known, or for failoverPriority alone, no labels).
 */
export function placeKey(plan: LocalityPlan, place: ProxyPlace): string {
  if ('zoneAware' in plan) return zoneAwareKey(plan.zoneAware, place);
  if ('distribute' in plan || !plan.failoverPriority) return place.locality;
  const labels = priorityKey(plan.failoverPriority, place.labels);
  const loc = plan.failover.length > 0 && place.locality ? `loc:${place.locality}` : '';
  return labels && loc ? `${labels}|${loc}` : labels || loc;
}

/** Whether a locality (`region/zone/subzone`) matches a rule's pattern, `*` or an empty part matching any (a region must be said). */
export function localityMatches(locality: string, pattern: string): boolean {
  const [r, z, s] = parts(locality);
  const [pr = '', pz = '', ps = ''] = pattern.split('/');
  return (pr === '*' || pr === r) && (pz === '*' || pz === '' || pz === z) && (ps === '*' || ps === '' || ps === s);
}

const parts = (l: string): [string, string, string] => {
  const [region = '', zone = '', subZone = ''] = l.split('/');
  return [region, zone, subZone];
};

/** Raw priority (0 to 4) of a locality for a proxy in `proxy` (both `region/zone/subzone`), before renumbering. */
function nearness(proxy: string, locality: string, failover: Failover): number {
  const [region, zone, subZone] = parts(proxy);
  const [r, z, s] = parts(locality);
  const p = r !== region ? 3 : z !== zone ? 2 : s !== subZone ? 1 : 0;
  const rule = failover.find((f) => f.from === region);
  return p === 3 && rule && r !== rule.to ? 4 : p;
}

const localityText = (l: Json | undefined): string => [l?.region ?? '', l?.zone ?? '', l?.sub_zone ?? ''].join('/');

/**
 * A ClusterLoadAssignment as locality load balancing makes it for a proxy at `place` (a copy, or the assignment
 * itself when nothing changes). failoverPriority reads the endpoints behind it: `endpoints[i]` those of locality
 * group i, in the order of its lb_endpoints.
 */
export function applyLocality(assignment: Json, place: ProxyPlace, plan: LocalityPlan, endpoints?: ReadonlyArray<readonly Endpoint[]>): Json {
  if ('zoneAware' in plan) return applyZoneAware(assignment, place, plan.zoneAware, endpoints);
  const groups: Json[] = Array.isArray(assignment.endpoints) ? assignment.endpoints : [];
  const proxy = place.locality;
  if ('failover' in plan) {
    const labelled = plan.failoverPriority !== undefined && Object.keys(place.labels).length > 0;
    // Locality counts without failoverPriority, or with it when failover is set too; only where the proxy's is known.
    const byLocality = proxy !== '' && (!plan.failoverPriority || plan.failover.length > 0);
    if (!labelled && !byLocality) return assignment;
    if (labelled && !endpoints) throw new Error('applyLocality: failoverPriority needs the endpoints of each locality');
    let split = labelled ? splitByPriority(assignment, endpoints!, place.labels, plan.failoverPriority!) : groups.map((group) => ({ group, priority: 0 }));
    // Locality nearness (0 to 4) within each label priority.
    if (byLocality) split = split.map(({ group, priority }) => ({ group, priority: priority * 5 + nearness(proxy, localityText(group.locality), plan.failover) }));
    return { ...assignment, endpoints: prioritized(split) };
  }
  if (!proxy) return assignment;
  const rule = plan.distribute.find((d) => localityMatches(proxy, d.from));
  if (!rule) return assignment;
  const weights = new Map<Json, number>();
  for (const [pattern, weight] of rule.to) {
    const named = groups.filter((g) => !weights.has(g) && localityMatches(localityText(g.locality), pattern));
    const total = named.reduce((n, g) => n + (g.load_balancing_weight?.value ?? 1), 0);
    for (const g of named) weights.set(g, Math.ceil(((g.load_balancing_weight?.value ?? 1) * weight) / total));
  }
  // Localities no pattern names get no traffic.
  return { ...assignment, endpoints: groups.filter((g) => weights.has(g)).map((g) => ({ ...g, load_balancing_weight: { value: weights.get(g)! } })) };
}
