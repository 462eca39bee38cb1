/**
 * Locality load balancing, as istiod's ApplyLocalityLoadBalancer does it, with the localityLbSetting of the
 * cluster's DestinationRule, else the mesh config's (enabled by default; `enabled: false` turns it off):
 * - `distribute` (from the proxy's locality, by pattern like `region/zone/*`): the localities each `to` pattern
 *   names share its weight in proportion to their own, and the localities no pattern names get no traffic;
 * - else, failover where the policy has outlierDetection (Envoy and gRPC only leave a priority once its endpoints
 *   are ejected or gone): each locality gets a priority by how near it is to the proxy: same region, zone and
 *   sub-zone 0, same zone 1, same region 2, elsewhere 3, and with `failover` (from the proxy's region to another),
 *   the regions not named as that target after it; renumbered 0, 1, 2… without gaps.
 * A proxy's locality: the node's, its workload labels', else its endpoint's in the registry (a workload that no
 * service selects has none, and gets neither). Pure.
 */
import type { Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { asArray, asObject } from '../../model/selectors.js';
import type { Json } from './common.js';
import { localityOf } from '../../model/registry.js';
import { proxyLabels } from './context.js';

const localityRules = new WeakMap<object, boolean>();

/**
 * Whether locality load balancing can make proxies in different localities get different endpoints (the mesh
 * config distributes, or a DestinationRule has outlierDetection or distribute somewhere): only then does a proxy's
 * scope include its locality.
 */
export function localityMatters(snap: Snapshot): boolean {
  if (asArray(snap.mesh.localityLb?.distribute).length > 0) return true;
  let v = localityRules.get(snap.destinationRules);
  if (v === undefined) localityRules.set(snap.destinationRules, (v = snap.destinationRules.some((dr) => /"(outlierDetection|distribute)"/.test(JSON.stringify(dr.spec ?? {})))));
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

export type Distribute = ReadonlyArray<{ from: string; to: ReadonlyArray<[string, number]> }>;
export type LocalityPlan = { failover: ReadonlyArray<{ from: string; to: string }> } | { distribute: Distribute };

/** What locality load balancing does to the endpoints of clusters with this policy; undefined: nothing. */
export function localityPlan(policy: Json | undefined, mesh: Record<string, unknown> | undefined): LocalityPlan | undefined {
  const own = asObject(asObject(policy?.loadBalancer).localityLbSetting);
  const setting = Object.keys(own).length > 0 ? own : asObject(mesh ?? { enabled: true });
  if (setting.enabled === false) return undefined;
  const distribute = asArray(setting.distribute)
    .map(asObject)
    .filter((d) => typeof d.from === 'string')
    .map((d) => ({ from: d.from as string, to: Object.entries(asObject(d.to)).filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0) }));
  if (distribute.length > 0) return { distribute };
  if (!policy || policy.outlierDetection === undefined) return undefined;
  const failover = asArray(setting.failover)
    .map(asObject)
    .filter((f) => typeof f.from === 'string' && typeof f.to === 'string')
    .map((f) => ({ from: f.from as string, to: f.to as string }));
  return { failover };
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

/** Priority of each of `localities` for a proxy in `proxy` (both `region/zone/subzone`), gap-free from 0. */
export function localityPriorities(proxy: string, localities: readonly string[], failover: ReadonlyArray<{ from: string; to: string }>): Map<string, number> {
  const [region, zone, subZone] = parts(proxy);
  const rule = failover.find((f) => f.from === region);
  const raw = new Map<string, number>();
  for (const l of localities) {
    const [r, z, s] = parts(l);
    let p = r !== region ? 3 : z !== zone ? 2 : s !== subZone ? 1 : 0;
    if (p === 3 && rule && r !== rule.to) p = 4;
    raw.set(l, p);
  }
  const levels = [...new Set(raw.values())].sort((a, b) => a - b);
  return new Map([...raw].map(([l, p]) => [l, levels.indexOf(p)]));
}

const localityText = (l: Json | undefined): string => [l?.region ?? '', l?.zone ?? '', l?.sub_zone ?? ''].join('/');

/** A ClusterLoadAssignment as locality load balancing makes it for a proxy in `proxy` (a copy). */
export function applyLocality(assignment: Json, proxy: string, plan: LocalityPlan): Json {
  const groups: Json[] = Array.isArray(assignment.endpoints) ? assignment.endpoints : [];
  if ('failover' in plan) {
    const priorities = localityPriorities(proxy, groups.map((g) => localityText(g.locality)), plan.failover);
    // Priority 0 is left unsaid.
    return { ...assignment, endpoints: groups.map((g) => ({ ...g, ...(priorities.get(localityText(g.locality)) ? { priority: priorities.get(localityText(g.locality)) } : {}) })) };
  }
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
