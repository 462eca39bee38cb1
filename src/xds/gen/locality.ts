/**
 * Locality failover, as istiod's ApplyLocalityLoadBalancer does it by default: where a cluster's policy has
 * outlierDetection (Envoy and gRPC only leave a priority once its endpoints are ejected or gone) and locality load
 * balancing is on (Istio's default; a DestinationRule's `localityLbSetting.enabled: false` turns it off), each
 * locality of the assignment gets a priority by how near it is to the proxy: same region, zone and sub-zone 0,
 * same zone 1, same region 2, elsewhere 3, and with `failover` (from the proxy's region to another), the regions
 * not named as that target after it. The priorities are then renumbered 0, 1, 2… without gaps. A proxy's
 * locality: the node's, else its endpoint's in the registry (a workload that no service selects has none, and gets
 * no priorities). Pure.
 */
import type { Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { asArray, asObject } from '../../model/selectors.js';
import type { Json } from './common.js';
import { localityOf } from '../../model/registry.js';
import { proxyLabels } from './context.js';

const failoverRules = new WeakMap<object, boolean>();

/**
 * Whether any DestinationRule could turn locality failover on (it has outlierDetection somewhere): only then do
 * proxies in different localities need different output, so only then does a proxy's scope include its locality.
 */
export function failoverPossible(snap: Snapshot): boolean {
  let v = failoverRules.get(snap.destinationRules);
  if (v === undefined) failoverRules.set(snap.destinationRules, (v = snap.destinationRules.some((dr) => JSON.stringify(dr.spec ?? {}).includes('"outlierDetection"'))));
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

/** The failover rules of a policy when failover priorities apply to its clusters; undefined when they do not. */
export function failoverOf(policy: Json | undefined): Array<{ from: string; to: string }> | undefined {
  if (!policy || policy.outlierDetection === undefined) return undefined;
  const setting = asObject(asObject(policy.loadBalancer).localityLbSetting);
  if (setting.enabled === false || asArray(setting.distribute).length > 0) return undefined;
  return asArray(setting.failover)
    .map(asObject)
    .filter((f) => typeof f.from === 'string' && typeof f.to === 'string')
    .map((f) => ({ from: f.from as string, to: f.to as string }));
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

/** A ClusterLoadAssignment with its localities' priorities for a proxy in `proxy` (a copy; 0 is left unsaid). */
export function withPriorities(assignment: Json, proxy: string, failover: ReadonlyArray<{ from: string; to: string }>): Json {
  const groups: Json[] = Array.isArray(assignment.endpoints) ? assignment.endpoints : [];
  const priorities = localityPriorities(proxy, groups.map((g) => localityText(g.locality)), failover);
  return { ...assignment, endpoints: groups.map((g) => ({ ...g, ...(priorities.get(localityText(g.locality)) ? { priority: priorities.get(localityText(g.locality)) } : {}) })) };
}
