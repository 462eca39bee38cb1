/**
 * DestinationRule policy as it applies to one cluster, merged as for Envoy's clusters (../policy.ts, istiod's
 * GetPortLevelTrafficPolicy and MergeSubsetTrafficPolicy, which istiod's gRPC generator uses too): a
 * portLevelSettings entry for the port replaces the policy whole, a subset's groups replace the rule's. Pure.
 */
import type { Config, Service, Snapshot } from '../../../model/types.js';
import { asArray, asObject, asString, stringMap } from '../../../model/selectors.js';
import type { Proxy } from '../../../model/proxy.js';
import { destinationRuleFor, proxyLabels } from '../context.js';
import { effectivePolicy } from '../policy.js';

export interface Subset {
  name: string;
  labels: Record<string, string>;
  trafficPolicy: Record<string, any>;
}

/** The parts of a TrafficPolicy the gRPC generators read. */
export interface ClusterPolicy {
  loadBalancer?: Record<string, any>;
  connectionPool?: Record<string, any>;
  outlierDetection?: Record<string, any>;
  tls?: Record<string, any>;
}

export function subsetsOf(dr: Config | undefined): Subset[] {
  if (!dr) return [];
  const out: Subset[] = [];
  for (const s of asArray(dr.spec?.subsets).map(asObject)) {
    const name = asString(s.name);
    if (name) out.push({ name, labels: stringMap(s.labels), trafficPolicy: asObject(s.trafficPolicy) });
  }
  return out;
}

/** The DestinationRule for a service as this node sees it (its namespace, and its labels for workloadSelector). */
export const ruleFor = (snap: Snapshot, proxy: Proxy, svc: Service): Config | undefined => destinationRuleFor(snap, proxy.namespace, svc, proxyLabels(snap, proxy));

/** Effective policy of the cluster for `port` and `subset` ('' = the whole service). */
export function clusterPolicy(dr: Config | undefined, port: number, subset: string): ClusterPolicy {
  return effectivePolicy(dr, port, subset || undefined);
}
