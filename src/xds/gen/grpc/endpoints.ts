/**
 * EDS for proxyless gRPC: one ClusterLoadAssignment per cluster, the service port's endpoints filtered by the
 * subset's labels, grouped by locality. gRPC drops a locality without `locality` or with a zero weight, and NACKs
 * the whole assignment for a non-IP address or a duplicate address, so: every locality is set (empty is fine) and
 * weighted by the sum of its endpoints' weights, hostnames (DNS ServiceEntries) are left out, duplicates merged.
 * Unhealthy endpoints are sent as UNHEALTHY (gRPC skips them). Locality load balancing (failover, failoverPriority,
 * distribute; zone-aware priorities, ../zone-aware.ts) as for Envoy (../locality.ts). Pure.
 */
import { isIP } from 'node:net';
import type { Endpoint, Snapshot } from '../../../model/types.js';
import type { Proxy } from '../../../model/proxy.js';
import type { NamedResource } from '../index.js';
import { matchesLabels } from '../../../model/selectors.js';
import { clusterName, parseClusterName, servedService, servedServices } from './names.js';
import { clusterPolicy, ruleFor, subsetsOf } from './policy.js';
import { type ProxyPlace, applyLocality, localityPlan, placeKey, proxyPlace } from '../locality.js';
import { endpointsOf } from '../host-definitions.js';

type Obj = Record<string, unknown>;

function locality(s: string): Obj {
  const [region = '', zone = '', subZone = ''] = s.split('/');
  return { ...(region && { region }), ...(zone && { zone }), ...(subZone && { sub_zone: subZone }) };
}

/** The assignment for `name` from the endpoints that belong to it. */
export function buildAssignment(name: string, endpoints: readonly Endpoint[]): Obj {
  return groupedAssignment(name, localityGroups(endpoints));
}

/** Endpoints gRPC takes (IP addresses, each address and port once) by locality, sorted: the assignment's groups. */
function localityGroups(endpoints: readonly Endpoint[]): Endpoint[][] {
  const byLocality = new Map<string, Endpoint[]>();
  const seen = new Set<string>();
  for (const e of endpoints) {
    const key = `${e.address}:${e.port}`;
    if (isIP(e.address) === 0 || seen.has(key)) continue;
    seen.add(key);
    const group = byLocality.get(e.locality);
    if (group) group.push(e);
    else byLocality.set(e.locality, [e]);
  }
  return [...byLocality.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((loc) => byLocality.get(loc)!);
}

function groupedAssignment(name: string, groups: readonly Endpoint[][]): Obj {
  const localities = groups.map((group) => {
    const lbEndpoints = group.map((e) => ({
      endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
      health_status: e.healthy ? 'HEALTHY' : 'UNHEALTHY',
      load_balancing_weight: { value: Math.max(1, Math.round(e.weight) || 1) },
    }));
    const weight = lbEndpoints.reduce((sum, e) => sum + e.load_balancing_weight.value, 0);
    return { locality: locality(group[0]!.locality), lb_endpoints: lbEndpoints, load_balancing_weight: { value: weight } };
  });
  return { cluster_name: name, endpoints: localities };
}

function assignmentFor(snap: Snapshot, proxy: Proxy, place: ProxyPlace, name: string): Obj | undefined {
  const key = parseClusterName(name);
  const svc = key && servedService(snap, proxy, key.host);
  if (!key || !svc) return undefined;
  const port = svc.ports.find((p) => p.port === key.port);
  if (!port) return undefined;
  let labels: Record<string, string> | undefined;
  if (key.subset) {
    const subset = subsetsOf(ruleFor(snap, proxy, svc)).find((s) => s.name === key.subset);
    if (!subset) return undefined;
    labels = subset.labels;
  }
  const eps = (endpointsOf(snap, svc) ?? []).filter((e) => e.servicePortName === port.name && matchesLabels(e.labels, labels));
  const groups = localityGroups(eps);
  const assignment = groupedAssignment(name, groups);
  const plan = localityPlan(clusterPolicy(ruleFor(snap, proxy, svc), key.port, key.subset), snap.mesh.localityLb, svc, snap.mesh.zoneAwareLb);
  return plan && placeKey(plan, place) ? applyLocality(assignment, place, plan, groups) : assignment;
}

/** Assignments for the named clusters (unknown ones left out); every cluster's when `names` is undefined. */
export function grpcEndpoints(snap: Snapshot, proxy: Proxy, names?: readonly string[]): NamedResource[] {
  const wanted =
    names ??
    servedServices(snap, proxy).flatMap((svc) => {
      const subsets = ['', ...subsetsOf(ruleFor(snap, proxy, svc)).map((s) => s.name)];
      return svc.ports.flatMap((p) => subsets.map((s) => clusterName(p.port, s, svc.hostname)));
    });
  const out: NamedResource[] = [];
  const place = proxyPlace(snap, proxy);
  for (const name of new Set(wanted)) {
    const resource = assignmentFor(snap, proxy, place, name);
    if (resource) out.push({ name, resource });
  }
  return out;
}
