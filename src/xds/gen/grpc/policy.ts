/**
 * DestinationRule policy as it applies to one cluster: the rule's trafficPolicy, overridden field by field by its
 * portLevelSettings for the port, then by the subset's trafficPolicy (and its portLevelSettings), as Istio merges
 * them. Pure.
 */
import type { Config, Service, Snapshot } from '../../../model/types.js';
import { asArray, asObject, asString, stringMap } from '../../../model/selectors.js';
import { destinationRuleFor } from '../context.js';

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

const FIELDS = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] as const;

function overlay(base: ClusterPolicy, tp: Record<string, any>, port: number): ClusterPolicy {
  const out: ClusterPolicy = { ...base };
  for (const f of FIELDS) if (tp[f] !== undefined && tp[f] !== null) out[f] = asObject(tp[f]);
  const pls = asArray(tp.portLevelSettings).map(asObject).find((p) => asObject(p.port).number === port);
  if (pls) for (const f of FIELDS) if (pls[f] !== undefined && pls[f] !== null) out[f] = asObject(pls[f]);
  return out;
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

/** The DestinationRule for a service as a node in `proxyNamespace` sees it. */
export const ruleFor = (snap: Snapshot, proxyNamespace: string, svc: Service): Config | undefined => destinationRuleFor(snap, proxyNamespace, svc);

/** Effective policy of the cluster for `port` and `subset` ('' = the whole service). */
export function clusterPolicy(dr: Config | undefined, port: number, subset: string): ClusterPolicy {
  if (!dr) return {};
  let p = overlay({}, asObject(dr.spec?.trafficPolicy), port);
  if (subset) {
    const s = subsetsOf(dr).find((x) => x.name === subset);
    if (s) p = overlay(p, s.trafficPolicy, port);
  }
  return p;
}
