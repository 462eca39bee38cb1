/**
 * Zone-aware load balancing: Istio's zoneAwareLbSetting, a DestinationRule's or else the mesh config's (which
 * locality.ts's localityPlan picks, as istiod's GetEffectiveLbSetting does), applied as istiod's ZoneAwareLBSettings:
 * - the cluster gets common_lb_config.zone_aware_lb_config (with min_cluster_size when set); with `enabled: false`
 *   the setting still wins over locality settings, but says routing_enabled 0%, which turns off the zone-aware
 *   routing Envoy would otherwise do on its own, and the endpoints keep their priorities;
 * - the endpoints: with failoverPriority, the label priorities first (failover-priority.ts: outlier detection or
 *   not), then within each of them by region: the proxy's own 0, the region `failover` names for it 1, any other 2;
 *   renumbered without gaps. Envoy then spreads priority 0 over its zones in proportion to where the proxy's own
 *   service runs, which it learns from its local_cluster (self-discovery.ts): without one, it routes as if no
 *   zone-aware setting were there.
 * Pure.
 */
import { isObject } from '../../core/object.js';
import { asArray, asObject } from '../../model/selectors.js';
import type { Endpoint } from '../../model/types.js';
import type { Json } from './common.js';
import { type PriorityLabel, prioritized, priorityKey, priorityLabels, splitByPriority } from './failover-priority.js';

/** A region failover rule: from the proxy's region to another. */
export type Failover = ReadonlyArray<{ from: string; to: string }>;

/** A zoneAwareLbSetting as the generators apply it. */
export interface ZoneAware {
  /** `enabled` unset or true: routing on; false: routing_enabled 0%, and no priorities. */
  routing: boolean;
  minClusterSize?: number;
  failover: Failover;
  failoverPriority?: readonly PriorityLabel[];
}

/** Where a proxy is, as the priorities read it (locality.ts's ProxyPlace). */
interface Place {
  locality: string;
  labels: Readonly<Record<string, string>>;
}

/** The failover rules of a setting whose `from` and `to` are strings (anything else dropped). */
export const failoverRules = (list: unknown): Failover =>
  asArray(list)
    .map(asObject)
    .filter((f) => typeof f.from === 'string' && typeof f.to === 'string')
    .map((f) => ({ from: f.from as string, to: f.to as string }));

/** A zoneAwareLbSetting (checked by validation; what does not read is left out). */
export function zoneAwareOf(setting: Record<string, unknown>): ZoneAware {
  const min = setting.minClusterSize;
  const labels = priorityLabels(setting.failoverPriority);
  return {
    routing: setting.enabled !== false,
    ...(typeof min === 'number' && Number.isInteger(min) && min >= 0 ? { minClusterSize: min } : {}),
    failover: failoverRules(setting.failover),
    ...(labels.length > 0 ? { failoverPriority: labels } : {}),
  };
}

/** The zoneAwareLbSetting of a traffic policy's loadBalancer, when it has one (an empty one too: all defaults). */
export function ownZoneAware(policy: Json | undefined): Record<string, unknown> | undefined {
  const setting: unknown = asObject(policy?.loadBalancer).zoneAwareLbSetting;
  return isObject(setting) ? setting : undefined;
}

/** The cluster's common_lb_config.zone_aware_lb_config for a setting. */
export function zoneAwareLbConfig(z: ZoneAware): Json {
  return {
    ...(z.routing ? {} : { routing_enabled: { value: 0 } }),
    ...(z.minClusterSize !== undefined ? { min_cluster_size: { value: z.minClusterSize } } : {}),
  };
}

/** A cluster's common_lb_config with zone-aware routing in place of any locality weighting (one or the other, in Envoy). */
export function withZoneAwareConfig(common: Json | undefined, z: ZoneAware): Json {
  const { locality_weighted_lb_config: _, ...rest } = common ?? {};
  return { ...rest, zone_aware_lb_config: zoneAwareLbConfig(z) };
}

const regionOf = (locality: string): string => locality.split('/')[0] ?? '';

/**
 * What of the proxy's place the priorities read, as a memo key: '' when nothing changes (routing off), else its
 * region, and its values of the failoverPriority labels when it has labels.
 */
export function zoneAwareKey(z: ZoneAware, place: Place): string {
  if (!z.routing) return '';
  const labels = z.failoverPriority ? priorityKey(z.failoverPriority, place.labels) : '';
  return `za:${regionOf(place.locality)}${labels ? `|${labels}` : ''}`;
}

/**
 * A ClusterLoadAssignment with zone-aware priorities for a proxy at `place` (a copy; the assignment itself when
 * routing is off). Regions are compared even where the proxy's is unknown (''), as in istiod: endpoints without a
 * region are then its own. `endpoints[i]` are the endpoints of locality group i, needed with failoverPriority.
 */
export function applyZoneAware(assignment: Json, place: Place, z: ZoneAware, endpoints?: ReadonlyArray<readonly Endpoint[]>): Json {
  if (!z.routing) return assignment;
  const groups: Json[] = Array.isArray(assignment.endpoints) ? assignment.endpoints : [];
  const labelled = z.failoverPriority !== undefined && Object.keys(place.labels).length > 0;
  if (labelled && !endpoints) throw new Error('applyZoneAware: failoverPriority needs the endpoints of each locality');
  const split = labelled ? splitByPriority(assignment, endpoints!, place.labels, z.failoverPriority!) : groups.map((group) => ({ group, priority: 0 }));
  const region = regionOf(place.locality);
  // Only the first rule from the proxy's region counts.
  const to = z.failover.find((f) => f.from === region)?.to;
  const tier = (g: Json): number => {
    const r: string = g.locality?.region ?? '';
    return r === region ? 0 : r === to ? 1 : 2;
  };
  // Three region tiers within each label priority.
  return { ...assignment, endpoints: prioritized(split.map(({ group, priority }) => ({ group, priority: priority * 3 + tier(group) }))) };
}
