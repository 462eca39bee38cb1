/**
 * Which proxies cannot apply the zone-aware routing their clusters ask for: an Envoy proxy without self-discovery
 * has no local_cluster, so Envoy leaves zone_aware_lb_config unused (istiod says so in its log, as mizzen's xDS
 * server does once per stream). Pure.
 */
import type { Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { outboundClusterSpecs } from './clusters.js';
import { localityPlan } from './locality.js';
import { selfDiscovery } from './self-discovery.js';

const mentioned = new WeakMap<object, boolean>();

/** Whether some DestinationRule of the snapshot, or its mesh config, has a zoneAwareLbSetting. */
function zoneAwareAnywhere(snap: Snapshot): boolean {
  if (snap.mesh.zoneAwareLb !== undefined) return true;
  let v = mentioned.get(snap.destinationRules);
  if (v === undefined) mentioned.set(snap.destinationRules, (v = snap.destinationRules.some((dr) => JSON.stringify(dr.spec ?? {}).includes('"zoneAwareLbSetting"'))));
  return v;
}

/** The proxy's clusters with zone-aware routing on, when the proxy has no local_cluster to route by; else none. */
export function zoneAwareWithoutSelfDiscovery(snap: Snapshot, proxy: Proxy): string[] {
  if (proxy.generator !== 'envoy' || selfDiscovery(proxy) || !zoneAwareAnywhere(snap)) return [];
  return outboundClusterSpecs(snap, proxy)
    .filter((spec) => {
      if (spec.type === 'DFP') return false;
      const plan = localityPlan(spec.policy, snap.mesh.localityLb, spec.service, snap.mesh.zoneAwareLb);
      return plan !== undefined && 'zoneAware' in plan && plan.zoneAware.routing;
    })
    .map((spec) => spec.name);
}
