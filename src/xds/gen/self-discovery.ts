/**
 * Self-discovery, for zone-aware routing: a proxy whose node metadata says ENABLE_SELF_DISCOVERY (Istio's
 * ISTIO_META_ENABLE_SELF_DISCOVERY, in one of Go's boolean spellings) has the static cluster `local_cluster` in its
 * bootstrap, fed by EDS, and Envoy compares how its own service's instances spread over zones with how each
 * upstream's do. What istiod serves for it, served here:
 * - the proxy's local service: the first of the services that select it (by hostname: mizzen keeps no creation
 *   times, which istiod orders by first), and that service's first port;
 * - its endpoints of that port that are instances of the same workload (WORKLOAD_NAME), of the same ReplicaSet
 *   (pod-template-hash and rollouts-pod-template-hash labels equal, or both absent) and in the proxy's region;
 * - no priorities, no subsets, no DestinationRule: the membership alone. None of them (no service selects the
 *   proxy), an empty assignment, which Envoy takes as is.
 * Pure.
 */
import { isIP } from 'node:net';
import type { Endpoint, Service, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { goBool } from '../../core/go-bool.js';
import { LOCAL_CLUSTER } from '../../bootstrap/envoy.js';
import type { Json } from './common.js';
import { inboundServices, proxyLabels } from './context.js';
import { proxyLocality } from './locality.js';
import { acceptsMtls } from './mtls.js';
import { endpointsOf } from './host-definitions.js';

export { LOCAL_CLUSTER };

/** The ReplicaSet labels whose values an instance must share with the proxy (Deployments', Argo Rollouts'). */
const REPLICA_SET_LABELS = ['pod-template-hash', 'rollouts-pod-template-hash'] as const;

/** Whether the proxy asked for self-discovery (an Envoy proxy; gRPC clients have no such cluster). */
export function selfDiscovery(proxy: Proxy): boolean {
  const v = proxy.metadata.ENABLE_SELF_DISCOVERY;
  return proxy.generator === 'envoy' && (v === true || (typeof v === 'string' && goBool(v) === true));
}

/** The proxy's local service and its port, as istiod picks them; undefined when no service selects it. */
export function localService(snap: Snapshot, proxy: Proxy): { service: Service; port: Service['ports'][number] } | undefined {
  const services = inboundServices(snap, proxy).filter((s) => s.ports.length > 0);
  const service = services.sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0))[0];
  return service && { service, port: service.ports[0]! };
}

const regionOf = (locality: string): string => locality.split('/')[0] ?? '';

/** The instances of the proxy's own workload in its region, for its local_cluster. */
export function localEndpoints(snap: Snapshot, proxy: Proxy): Endpoint[] {
  const local = localService(snap, proxy);
  if (!local) return [];
  const labels = proxyLabels(snap, proxy);
  const workload = typeof proxy.metadata.WORKLOAD_NAME === 'string' ? proxy.metadata.WORKLOAD_NAME : '';
  const region = regionOf(proxyLocality(snap, proxy));
  return (endpointsOf(snap, local.service) ?? []).filter(
    (e) =>
      e.servicePortName === local.port.name &&
      isIP(e.address) !== 0 &&
      (e.workloadName ?? '') === workload &&
      REPLICA_SET_LABELS.every((k) => (e.labels[k] ?? '') === (labels[k] ?? '')) &&
      regionOf(e.locality) === region,
  );
}

/**
 * The local_cluster's assignment for a proxy with self-discovery, its endpoints grouped by locality as every other
 * (`group` is clusters.ts's loadAssignment), with the tlsMode metadata istiod gives them.
 */
export function localClusterAssignment(snap: Snapshot, proxy: Proxy, group: (name: string, eps: readonly Endpoint[], accepts: (e: Endpoint) => boolean) => Json): Json {
  const local = localService(snap, proxy);
  return group(LOCAL_CLUSTER, localEndpoints(snap, proxy), (e) => local !== undefined && acceptsMtls(snap, local.service.namespace, e));
}

/**
 * What of a proxy its local_cluster reads beyond its scope's usual parts (labels, namespace, services): its
 * WORKLOAD_NAME and region; '' for a proxy without self-discovery.
 */
export function selfDiscoveryScope(snap: Snapshot, proxy: Proxy): string {
  if (!selfDiscovery(proxy)) return '';
  return JSON.stringify([proxy.metadata.WORKLOAD_NAME ?? '', regionOf(proxyLocality(snap, proxy))]);
}
