/**
 * CDS for proxyless gRPC: one EDS cluster per service port (`outbound|9080||reviews…`) and per DestinationRule
 * subset (`outbound|9080|v1|reviews…`), with what gRPC's xDS client reads of the rule: the load balancer
 * (ROUND_ROBIN, or RING_HASH for consistentHash), circuit breakers (max_requests) and outlier detection.
 *
 * gRPC implements only success-rate and failure-percentage ejection, not Envoy's consecutive-error counters, so
 * Istio's consecutive5xxErrors / consecutiveGatewayErrors N become failure-percentage ejection with request
 * volume N (an endpoint that failed more than half of at least N calls in an interval is ejected), alongside
 * Envoy's own fields. gRPC has no LEAST_REQUEST/RANDOM policy: those become ROUND_ROBIN (anything else is NACKed).
 * A rule's `tls.mode: ISTIO_MUTUAL` makes the cluster mTLS (tls.ts), checking the servers against the service's
 * identities; as in istiod, nothing else turns it on for gRPC (no auto mTLS), and SIMPLE and MUTUAL are not
 * sent to gRPC. Pure.
 */
import type { Service, ServicePort, Snapshot } from '../../../model/types.js';
import type { Proxy } from '../../../model/proxy.js';
import type { NamedResource } from '../index.js';
import { parseDurationMs, duration } from '../../proto.js';
import { asObject } from '../../../model/selectors.js';
import { clusterName, parseClusterName, servedService, servedServices } from './names.js';
import { clusterPolicy, ruleFor, subsetsOf, type ClusterPolicy } from './policy.js';
import { upstreamMtls } from './tls.js';
import { serviceIdentities } from '../mtls.js';

type Obj = Record<string, unknown>;

const MAX_RING = 8_388_608;

function dur(v: unknown): Obj | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = parseDurationMs(v);
  return ms === undefined ? undefined : duration(ms);
}

/** A positive count; 0 and below are "unset", as istiod reads pool sizes (0 would refuse every call). */
const u32 = (v: unknown): Obj | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? { value: v } : undefined);

function loadBalancing(lb: Record<string, any> | undefined): Obj {
  const ch = asObject(lb?.consistentHash);
  if (lb?.consistentHash) {
    const min = [ch.minimumRingSize, asObject(ch.ringHash).minimumRingSize].find((v) => typeof v === 'number' && v > 0) as number | undefined;
    return {
      lb_policy: 'RING_HASH',
      ring_hash_lb_config: { hash_function: 'XX_HASH', ...(min ? { minimum_ring_size: { value: Math.min(min, MAX_RING) } } : {}) },
    };
  }
  return { lb_policy: 'ROUND_ROBIN' };
}

function circuitBreakers(cp: Record<string, any> | undefined): Obj | undefined {
  const http = asObject(cp?.http);
  const tcp = asObject(cp?.tcp);
  const t: Obj = {
    priority: 'DEFAULT',
    ...(u32(http.http2MaxRequests) && { max_requests: u32(http.http2MaxRequests) }),
    ...(u32(http.http1MaxPendingRequests) && { max_pending_requests: u32(http.http1MaxPendingRequests) }),
    ...(u32(http.maxRetries) && { max_retries: u32(http.maxRetries) }),
    ...(u32(tcp.maxConnections) && { max_connections: u32(tcp.maxConnections) }),
  };
  return Object.keys(t).length > 1 ? { thresholds: [t] } : undefined;
}

function outlierDetection(od: Record<string, any> | undefined): Obj | undefined {
  if (!od) return undefined;
  const consecutive = [od.consecutive5xxErrors, od.consecutiveErrors, od.consecutiveGatewayErrors].find((v) => typeof v === 'number' && v > 0) as number | undefined;
  const out: Obj = {
    ...(dur(od.interval) && { interval: dur(od.interval) }),
    ...(dur(od.baseEjectionTime) && { base_ejection_time: dur(od.baseEjectionTime) }),
    ...(typeof od.maxEjectionPercent === 'number' && { max_ejection_percent: { value: Math.max(0, Math.min(100, Math.round(od.maxEjectionPercent))) } }),
    ...(typeof od.consecutive5xxErrors === 'number' && { consecutive_5xx: { value: od.consecutive5xxErrors } }),
    ...(typeof od.consecutiveGatewayErrors === 'number' && { consecutive_gateway_failure: { value: od.consecutiveGatewayErrors } }),
    // Success-rate ejection needs 5 hosts with 100 calls each: off, so ejection is what the rule says.
    enforcing_success_rate: { value: 0 },
  };
  if (consecutive) {
    Object.assign(out, {
      enforcing_failure_percentage: { value: 100 },
      failure_percentage_threshold: { value: 50 },
      failure_percentage_request_volume: { value: consecutive },
      failure_percentage_minimum_hosts: { value: 1 },
    });
  }
  return out;
}

/** One cluster resource; `identities`: the ids its servers may present, asked for only under ISTIO_MUTUAL (tls.ts). */
export function buildCluster(name: string, policy: ClusterPolicy, identities: () => readonly string[] = () => []): Obj {
  const cb = circuitBreakers(policy.connectionPool);
  const od = outlierDetection(policy.outlierDetection);
  const ct = dur(asObject(asObject(policy.connectionPool).tcp).connectTimeout);
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
    ...(ct && { connect_timeout: ct }),
    ...loadBalancing(policy.loadBalancer),
    ...(cb && { circuit_breakers: cb }),
    ...(od && { outlier_detection: od }),
    ...(asObject(policy.tls).mode === 'ISTIO_MUTUAL' && { transport_socket: upstreamMtls(identities()) }),
  };
}

function clustersOfService(snap: Snapshot, proxy: Proxy, svc: Service, port: ServicePort): NamedResource[] {
  const dr = ruleFor(snap, proxy, svc);
  const out: NamedResource[] = [];
  let ids: readonly string[] | undefined;
  const identities = (): readonly string[] => (ids ??= serviceIdentities(snap, svc));
  for (const subset of ['', ...subsetsOf(dr).map((s) => s.name)]) {
    const name = clusterName(port.port, subset, svc.hostname);
    out.push({ name, resource: buildCluster(name, clusterPolicy(dr, port.port, subset), identities) });
  }
  return out;
}

/** The named clusters (unknown names are left out: the client then reports them as not found); all when `names` is undefined. */
export function grpcClusters(snap: Snapshot, proxy: Proxy, names?: readonly string[]): NamedResource[] {
  if (names === undefined) {
    return servedServices(snap, proxy).flatMap((svc) => svc.ports.flatMap((p) => clustersOfService(snap, proxy, svc, p)));
  }
  const out: NamedResource[] = [];
  for (const name of new Set(names)) {
    const key = parseClusterName(name);
    const svc = key && servedService(snap, proxy, key.host);
    if (!key || !svc || !svc.ports.some((p) => p.port === key.port)) continue;
    const dr = ruleFor(snap, proxy, svc);
    if (key.subset && !subsetsOf(dr).some((s) => s.name === key.subset)) continue;
    out.push({ name, resource: buildCluster(name, clusterPolicy(dr, key.port, key.subset), () => serviceIdentities(snap, svc)) });
  }
  return out;
}
