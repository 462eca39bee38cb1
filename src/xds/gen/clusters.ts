/**
 * CDS for Envoy proxies: `outbound|<port>|<subset>|<host>` for every visible service port and DestinationRule
 * subset; `inbound|<port>||` for the ports of services that select a sidecar (ORIGINAL_DST, bound to 127.0.0.6 as
 * Istio does, so the app sees the original destination and iptables lets the connection through); and the
 * BlackHoleCluster / PassthroughCluster / InboundPassthroughCluster every proxy has. A DYNAMIC_DNS ServiceEntry host
 * gets dynamic forward proxy clusters instead, without subsets (dynamic-dns.ts); a sidecar under the mesh's
 * ALLOW_ANY_DYNAMIC_DNS, AllowAnyDynamicDNSCluster (allow-any-dns.ts).
 */
import type { Config, Endpoint, MeshSettings, Service, ServicePort, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { isHttp2Protocol } from '../../model/protocol.js';
import { matchesLabels } from '../../model/selectors.js';
import { duration } from '../proto.js';
import type { NamedResource } from './types.js';
import {
  type Json, BLACKHOLE, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_DNS_REFRESH_MS, INBOUND_BIND_ADDRESS, INBOUND_BIND_ADDRESS_V6, INBOUND_PASSTHROUGH, PASSTHROUGH,
  adsSource, any, inboundClusterName, outboundClusterName, socketAddress,
} from './common.js';
import { clusterPolicyFields, connectionPoolFields, effectivePolicy, subsetsOf, type TrafficPolicy } from './policy.js';
import { type ProxyPlace, applyLocality, localityPlan, placeKey, proxyPlace } from './locality.js';
import { withZoneAwareConfig } from './zone-aware.js';
import { LOCAL_CLUSTER, localClusterAssignment, selfDiscovery } from './self-discovery.js';
import { destinationRuleFor, inboundServices, proxyLabels, visibleServices } from './context.js';
import { proxySidecar, sidecarInboundPool, sidecarIngress, unknownDestinations, type IngressEndpoint, type IngressPort } from './sidecar-scope.js';
import { wasmClusters } from './wasm.js';
import { type CertFiles, acceptsMtls, certsKey, clientCerts, clusterMtls, endpointMetadata, serviceIdentities } from './mtls.js';
import { dynamicDnsCluster, isDynamicDns } from './dynamic-dns.js';
import { withMeshDefaults } from './mesh-defaults.js';
import { allowAnyDnsCluster } from './allow-any-dns.js';
import { withClusterHeaderCase } from './proxy-headers.js';
import { altStatName, hostVariables, statName } from './stat-names.js';
import { endpointsOf } from './host-definitions.js';

/** One outbound cluster before it is written out: shared by CDS and EDS. */
export interface ClusterSpec {
  name: string;
  service: Service;
  port: ServicePort;
  subset: string;
  subsetLabels?: Record<string, string>;
  policy: TrafficPolicy;
  /** DFP: Envoy's dynamic forward proxy (a DYNAMIC_DNS host, dynamic-dns.ts). */
  type: 'EDS' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'ORIGINAL_DST' | 'DFP';
  /** The DestinationRule the policy and subsets come from (as seen from the proxy's namespace). */
  rule: Config | undefined;
}

function clusterType(svc: Service, policy: TrafficPolicy): ClusterSpec['type'] {
  // The dynamic forward proxy picks the host itself: a PASSTHROUGH balancer changes nothing there (as in istiod).
  if (isDynamicDns(svc)) return 'DFP';
  if (policy.loadBalancer?.simple === 'PASSTHROUGH') return 'ORIGINAL_DST';
  switch (svc.resolution) {
    case 'DNS':
      return 'STRICT_DNS';
    case 'DNS_ROUND_ROBIN':
      return 'LOGICAL_DNS';
    case 'NONE':
      return 'ORIGINAL_DST';
    default:
      return 'EDS';
  }
}

/**
 * A service's outbound clusters given the DestinationRule in effect, memoized on the service object (checked
 * against the rule): proxy scopes, and the next snapshot when it kept both, share the same specs (shared: never
 * modified), so what is derived from a spec (cluster, load assignment) can be memoized on it.
 */
const specMemo = new WeakMap<Service, { dr: Config | undefined; mesh: MeshSettings; specs: readonly ClusterSpec[] }>();
function serviceClusterSpecs(svc: Service, dr: Config | undefined, mesh: MeshSettings): readonly ClusterSpec[] {
  const hit = specMemo.get(svc);
  if (hit && hit.dr === dr && hit.mesh === mesh) return hit.specs;
  const specs: ClusterSpec[] = [];
  // A dynamic forward proxy cluster has no endpoints for subsets to pick from: istiod builds none.
  const subsets = isDynamicDns(svc) ? [] : subsetsOf(dr);
  for (const port of svc.ports) {
    if (port.protocol === 'UDP') continue;
    // The mesh config's defaults go under the rule's policy (mesh-defaults.ts).
    const use = port.protocol === 'HTTP' ? 'outbound-http1' : 'outbound';
    const policy = withMeshDefaults(effectivePolicy(dr, port.port), mesh, use);
    specs.push({ name: outboundClusterName(port.port, '', svc.hostname), service: svc, port, subset: '', policy, type: clusterType(svc, policy), rule: dr });
    for (const s of subsets) {
      const sp = withMeshDefaults(effectivePolicy(dr, port.port, s.name), mesh, use);
      specs.push({ name: outboundClusterName(port.port, s.name, svc.hostname), service: svc, port, subset: s.name, subsetLabels: s.labels, policy: sp, type: clusterType(svc, sp), rule: dr });
    }
  }
  specMemo.set(svc, { dr, mesh, specs });
  return specs;
}

/** Every outbound cluster of the proxy, sorted by service then port then subset. UDP ports have none. */
export function outboundClusterSpecs(snap: Snapshot, proxy: Proxy): ClusterSpec[] {
  const out: ClusterSpec[] = [];
  const labels = proxyLabels(snap, proxy);
  for (const svc of visibleServices(snap, proxy)) for (const spec of serviceClusterSpecs(svc, destinationRuleFor(snap, proxy.namespace, svc, labels), snap.mesh)) out.push(spec);
  return out;
}

/** Endpoints of a cluster: the service's endpoints for that port, narrowed to the subset's labels. */
export function clusterEndpoints(snap: Snapshot, spec: ClusterSpec): Endpoint[] {
  return (endpointsOf(snap, spec.service) ?? []).filter((e) => e.servicePortName === spec.port.name && matchesLabels(e.labels, spec.subsetLabels));
}

/**
 * A ClusterLoadAssignment grouping endpoints by locality (every locality set, weight > 0, as gRPC requires); the
 * endpoints that `accepts` says take mesh mTLS carry the metadata auto mTLS looks for.
 */
export function loadAssignment(clusterName: string, endpoints: readonly Endpoint[], healthOnly = false, accepts?: (e: Endpoint) => boolean): Json {
  return groupedAssignment(clusterName, localityGroups(endpoints, healthOnly), accepts);
}

/** Endpoints grouped by locality, localities sorted: the groups of a ClusterLoadAssignment, in its order. */
function localityGroups(endpoints: readonly Endpoint[], healthOnly = false): Endpoint[][] {
  const byLocality = new Map<string, Endpoint[]>();
  for (const e of endpoints) {
    if (healthOnly && !e.healthy) continue;
    const list = byLocality.get(e.locality) ?? [];
    list.push(e);
    byLocality.set(e.locality, list);
  }
  return [...byLocality.keys()].sort().map((loc) => byLocality.get(loc)!);
}

function groupedAssignment(clusterName: string, groups: readonly Endpoint[][], accepts?: (e: Endpoint) => boolean): Json {
  return {
    cluster_name: clusterName,
    endpoints: groups.map((eps) => {
      const [region = '', zone = '', subZone = ''] = eps[0]!.locality.split('/');
      return {
        locality: { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(subZone ? { sub_zone: subZone } : {}) },
        lb_endpoints: eps.map((e) => {
          const metadata = endpointMetadata(accepts?.(e) === true);
          return {
            endpoint: { address: socketAddress(e.address, e.port) },
            health_status: e.healthy ? 'HEALTHY' : 'UNHEALTHY',
            ...(metadata ? { metadata } : {}),
            load_balancing_weight: { value: Math.max(1, Math.floor(e.weight)) },
          };
        }),
        load_balancing_weight: { value: Math.max(1, eps.reduce((n, e) => n + Math.max(1, Math.floor(e.weight)), 0)) },
      };
    }),
  };
}

function outboundCluster(snap: Snapshot, spec: ClusterSpec, gateway = false): Json {
  const fields = clusterPolicyFields(spec.policy, isHttp2Protocol(spec.port.protocol), spec.port.protocol === 'UNSUPPORTED', gateway, connectMs(snap), snap.mesh.tlsDefaults);
  const c: Json = { name: spec.name, type: spec.type, ...fields };
  // Locality weights take effect only with Envoy's weighted localities: istiod sets them for distribute, and for
  // failover or failoverPriority (from the rule or the mesh config) where outlier detection makes them apply.
  // Zone-aware routing takes their place (zone-aware.ts).
  const plan = localityPlan(spec.policy, snap.mesh.localityLb, spec.service, snap.mesh.zoneAwareLb);
  if (plan && 'zoneAware' in plan) c.common_lb_config = withZoneAwareConfig(c.common_lb_config, plan.zoneAware);
  else if (plan && ('distribute' in plan || plan.failover.length > 0 || plan.failoverPriority)) c.common_lb_config = { ...(c.common_lb_config ?? {}), locality_weighted_lb_config: {} };
  switch (spec.type) {
    case 'EDS':
      c.eds_cluster_config = { eds_config: adsSource(), service_name: spec.name };
      break;
    case 'ORIGINAL_DST':
      c.lb_policy = 'CLUSTER_PROVIDED';
      delete c.ring_hash_lb_config;
      delete c.maglev_lb_config;
      break;
    case 'DFP':
      return dynamicDnsCluster(c, spec.service.hostname, spec.policy.tls, isHttp2Protocol(spec.port.protocol));
    case 'STRICT_DNS':
    case 'LOGICAL_DNS': {
      const eps = clusterEndpoints(snap, spec);
      c.dns_lookup_family = 'V4_ONLY';
      c.respect_dns_ttl = true;
      c.dns_refresh_rate = duration(snap.mesh.dnsRefreshMs ?? DEFAULT_DNS_REFRESH_MS);
      c.load_assignment = loadAssignment(spec.name, spec.type === 'LOGICAL_DNS' ? eps.slice(0, 1) : eps, true, mtlsAcceptor(snap, spec));
      break;
    }
  }
  // The mesh's outboundClusterStatName names its statistics (not a dynamic forward proxy's, nor in istiod).
  const pattern = snap.mesh.outboundClusterStatName;
  if (pattern) {
    const target = { ...hostVariables(spec.service.hostname, spec.service), subset: spec.subset, port: spec.port.port, portName: spec.port.name, targetPort: 0 };
    c.alt_stat_name = altStatName(statName(pattern, target));
  }
  return c;
}

const LOCALHOST = '127.0.0.1';

/** The workload port a service port lands on for this proxy (named targetPorts resolved from its own endpoint). */
export function inboundPort(snap: Snapshot, proxy: Proxy, svc: Service, sp: ServicePort): number {
  if (!sp.targetPortName) return sp.targetPort;
  const own = (endpointsOf(snap, svc) ?? []).find((e) => e.address === proxy.ip && e.servicePortName === sp.name);
  return own?.port ?? sp.targetPort;
}

/**
 * The proxy's inbound ports: its Sidecar's ingress listeners when it has any (with where each sends its traffic),
 * else the ports of the services that select it, workload port → protocol, the first service winning a port (sent
 * to the original destination, or to 127.0.0.1 under inboundTrafficPolicy LOCALHOST, as istiod's inbound clusters
 * do; a Sidecar's ingress listeners keep their own). Sorted by port.
 */
export function inboundPorts(snap: Snapshot, proxy: Proxy): IngressPort[] {
  const ingress = sidecarIngress(proxySidecar(snap, proxy, () => proxyLabels(snap, proxy)));
  if (ingress) return ingress.sort((a, b) => a.port - b.port);
  // The mesh config's inboundTrafficPolicy LOCALHOST: the app is reached on the loopback, not on the pod's IP.
  const local = snap.mesh.inboundLocalhost === true;
  return [...servicesByWorkloadPort(snap, proxy).entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, { sp }]) => ({ port, protocol: sp.protocol, ...(local ? { endpoint: { address: LOCALHOST, port } } : {}) }));
}

/** Each workload port of the services that select the proxy, with the first service (and its port) landing on it; UDP left out. */
export function servicesByWorkloadPort(snap: Snapshot, proxy: Proxy, labels = proxyLabels(snap, proxy)): Map<number, { svc: Service; sp: ServicePort }> {
  const out = new Map<number, { svc: Service; sp: ServicePort }>();
  for (const svc of inboundServices(snap, proxy, labels)) {
    for (const sp of svc.ports) {
      if (sp.protocol === 'UDP') continue;
      const p = inboundPort(snap, proxy, svc, sp);
      if (!out.has(p)) out.set(p, { svc, sp });
    }
  }
  return out;
}

/**
 * Where an inbound cluster sends traffic: the original destination (the workload's address and port), or what a
 * Sidecar ingress listener's defaultEndpoint says (another port of that address, the loopback, a Unix socket).
 */
function inboundTarget(name: string, endpoint: IngressEndpoint | undefined): Json {
  if (endpoint === undefined) return { type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' };
  if ('portOverride' in endpoint) return { type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', original_dst_lb_config: { upstream_port_override: { value: endpoint.portOverride } } };
  const address = 'pipe' in endpoint ? { pipe: { path: endpoint.pipe } } : socketAddress(endpoint.address, endpoint.port);
  return { type: 'STATIC', load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] } };
}

/**
 * The connection pool of an inbound port, as istiod sets it on the receiving side too (so that the server has the
 * capacity its clients are allowed): the DestinationRule of the first service whose port lands on it (`landing`:
 * servicesByWorkloadPort; for that service port; rules with a workloadSelector count only outbound, as in Istio), its connectionPool replaced by the
 * proxy's Sidecar's for the port (sidecarInboundPool) when it sets one. Its retryBudget stays the rule's.
 */
function inboundPool(snap: Snapshot, proxy: Proxy, port: number, labels: Readonly<Record<string, string>>, landing: ReadonlyMap<number, { svc: Service; sp: ServicePort }>): Pick<TrafficPolicy, 'connectionPool' | 'retryBudget'> {
  const first = landing.get(port);
  const policy: TrafficPolicy = first ? effectivePolicy(destinationRuleFor(snap, proxy.namespace, first.svc), first.sp.port) : {};
  const own = sidecarInboundPool(proxySidecar(snap, proxy, () => labels), port) ?? policy.connectionPool;
  // The mesh config's defaultTrafficPolicy pool where neither sets one, and its tcpKeepalive (mesh-defaults.ts).
  const { connectionPool } = withMeshDefaults(own ? { connectionPool: own } : {}, snap.mesh, 'pool');
  return { ...(connectionPool ? { connectionPool } : {}), ...(policy.retryBudget ? { retryBudget: policy.retryBudget } : {}) };
}

/**
 * An inbound cluster's alt_stat_name under the mesh's inboundClusterStatName, as istiod names it: for the first
 * service landing on the port (its host, its port and port name; %TARGET_PORT% the workload port). A Sidecar
 * ingress listener's port takes its own number and name, and the service landing on it, else the host
 * `<sidecar>.<namespace>`. Undefined without the pattern.
 */
function inboundStatName(snap: Snapshot, p: IngressPort, landing: ReadonlyMap<number, { svc: Service; sp: ServicePort }>, sidecar: Config | undefined): string | undefined {
  const pattern = snap.mesh.inboundClusterStatName;
  if (!pattern) return undefined;
  const first = landing.get(p.port);
  const ingress = sidecar !== undefined && sidecarIngress(sidecar) !== undefined;
  const host = first?.svc.hostname ?? `${sidecar?.name}.${sidecar?.namespace}`;
  const port = ingress || !first ? { port: p.port, portName: p.name ?? '' } : { port: first.sp.port, portName: first.sp.name };
  return altStatName(statName(pattern, { ...hostVariables(host, first?.svc), subset: '', ...port, targetPort: p.port }));
}

function inboundCluster({ port, protocol, endpoint }: IngressPort, pool: Pick<TrafficPolicy, 'connectionPool' | 'retryBudget'>, timeoutMs: number, stat?: string): Json {
  const name = inboundClusterName(port);
  // The source the sidecar's iptables rules let through to the workload; a Unix socket has no IP source.
  const source = endpoint && 'pipe' in endpoint ? undefined : endpoint && 'address' in endpoint && endpoint.address === '::1' ? INBOUND_BIND_ADDRESS_V6 : INBOUND_BIND_ADDRESS;
  // A sniffed port's HTTP requests reach the app in the protocol they came in; h2UpgradePolicy is outbound only.
  const fields = connectionPoolFields(pool, isHttp2Protocol(protocol), protocol === 'UNSUPPORTED', false, timeoutMs);
  return {
    name,
    ...(stat ? { alt_stat_name: stat } : {}),
    ...inboundTarget(name, endpoint),
    connect_timeout: fields.connect_timeout,
    ...(source ? { upstream_bind_config: { source_address: { address: source, port_value: 0 } } } : {}),
    circuit_breakers: fields.circuit_breakers,
    ...(fields.upstream_connection_options ? { upstream_connection_options: fields.upstream_connection_options } : {}),
    ...(fields.httpOptions ? { typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': any('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', fields.httpOptions) } } : {}),
  };
}

/**
 * The passthrough clusters' HTTP options, as istiod's passthroughHttpProtocolOptions: the caller's own protocol
 * upstream, and idle upstream connections closed after 5 minutes (Envoy's default is an hour).
 */
const passthroughProtocolOptions = (): Json => ({
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': any('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', {
    common_http_protocol_options: { idle_timeout: duration(5 * 60_000) },
    use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
  }),
});

/** The mesh's connectTimeout (istiod's mesh.connectTimeout), where no DestinationRule sets one. */
const connectMs = (snap: Snapshot): number => snap.mesh.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;

/**
 * The BlackHoleCluster, the PassthroughCluster and (sidecars) the InboundPassthroughCluster. The passthrough ones
 * take the mesh config's defaultTrafficPolicy pool (its connect timeout and circuit breakers) and tcpKeepalive, as
 * istiod caps ALLOW_ANY traffic with them; their HTTP options stay the passthrough ones.
 */
function staticClusters(sidecar: boolean, mesh: MeshSettings, timeoutMs: number): Json[] {
  const pool = connectionPoolFields(withMeshDefaults({}, mesh, 'pool'), false, false, false, timeoutMs);
  const passthrough = (bind?: string): Json => ({
    type: 'ORIGINAL_DST',
    lb_policy: 'CLUSTER_PROVIDED',
    connect_timeout: pool.connect_timeout,
    ...(bind ? { upstream_bind_config: { source_address: { address: bind, port_value: 0 } } } : {}),
    circuit_breakers: pool.circuit_breakers,
    ...(pool.upstream_connection_options ? { upstream_connection_options: pool.upstream_connection_options } : {}),
    typed_extension_protocol_options: passthroughProtocolOptions(),
  });
  const out: Json[] = [{ name: BLACKHOLE, type: 'STATIC', connect_timeout: duration(timeoutMs) }, { name: PASSTHROUGH, ...passthrough() }];
  // istiod builds it from the outbound one: the same options, bound to 127.0.0.6.
  if (sidecar) out.push({ name: INBOUND_PASSTHROUGH, ...passthrough(INBOUND_BIND_ADDRESS) });
  return out;
}

/**
 * Outbound clusters that do not carry endpoints (EDS, ORIGINAL_DST, DFP), memoized on their (memoized) spec: such a
 * cluster is a function of the spec alone. Proxy scopes, and the next snapshot when it kept the service and the
 * rule, get the same object back, so the encoder finds it by identity instead of serializing it again. Shared:
 * never modified.
 */
const clusters = new WeakMap<ClusterSpec, Json>();
function memoCluster(snap: Snapshot, spec: ClusterSpec, proxy: Proxy): Json {
  // A cluster whose rule names a credential takes it by SDS on a proxy that can prove its identity (a gateway, or a
  // sidecar with mesh certificates: policy.ts), and differs there from the others': made for it alone.
  if (spec.policy.tls?.credentialName && (proxy.type === 'router' || clientCerts(proxy) !== undefined)) return outboundCluster(snap, spec, true);
  if (spec.type !== 'EDS' && spec.type !== 'ORIGINAL_DST' && spec.type !== 'DFP') return outboundCluster(snap, spec);
  let cluster = clusters.get(spec);
  if (!cluster) clusters.set(spec, (cluster = outboundCluster(snap, spec)));
  return cluster;
}

/** Which of a cluster's endpoints take mesh mTLS (tlsMode metadata); none for a service outside the mesh. */
const mtlsAcceptor = (snap: Snapshot, spec: ClusterSpec): ((e: Endpoint) => boolean) | undefined =>
  spec.service.meshExternal ? undefined : (e) => acceptsMtls(snap, spec.service.namespace, e);

/**
 * The identities a service's servers may present, memoized on its endpoint list (a new list when endpoints
 * change), for the SAN checks of mTLS clusters.
 */
const identities = new WeakMap<Service, { eps: readonly Endpoint[] | undefined; domain: string; ids: readonly string[] }>();
function identitiesOf(snap: Snapshot, svc: Service): readonly string[] {
  const eps = endpointsOf(snap, svc);
  const domain = snap.mesh.trustDomain;
  const hit = identities.get(svc);
  if (hit && hit.eps === eps && hit.domain === domain) return hit.ids;
  const ids = serviceIdentities(snap, svc);
  identities.set(svc, { eps, domain, ids });
  return ids;
}

/**
 * An outbound cluster as a client with certificates sends to it (mtls.ts), memoized on the cluster (itself memoized
 * on its spec) while the certificate files, auto mTLS and the service's identities stay: proxy scopes with
 * certificates share it as the others share the plain one. Shared: never modified.
 */
const mtlsClusters = new WeakMap<Json, { files: string; auto: boolean; ids: readonly string[]; all: boolean; out: Json }>();
function withMtls(snap: Snapshot, spec: ClusterSpec, cluster: Json, certs: CertFiles): Json {
  const files = certsKey(certs);
  const dfp = spec.type === 'DFP';
  // A dynamic forward proxy cluster has no endpoint metadata to tell mesh servers by: no auto mTLS (nor in istiod).
  const auto = !snap.mesh.autoMtlsOff && !spec.service.meshExternal && !dfp;
  const ids = identitiesOf(snap, spec.service);
  const all = auto && spec.policy.tls === undefined && spec.type === 'ORIGINAL_DST' && spec.service.resolution === 'NONE' && allTakeMtls(snap, spec);
  const hit = mtlsClusters.get(cluster);
  if (hit && hit.files === files && hit.auto === auto && hit.ids === ids && hit.all === all) return hit.out;
  const target = { tls: spec.policy.tls, port: spec.port.port, subset: spec.subset, host: spec.service.hostname, auto, allEndpointsMtls: all, identities: () => ids, autoSni: dfp };
  const mtls = clusterMtls(cluster, target, certs);
  const out = dfp && mtls !== cluster ? dynamicDnsCluster(mtls, spec.service.hostname, spec.policy.tls, isHttp2Protocol(spec.port.protocol)) : mtls;
  mtlsClusters.set(cluster, { files, auto, ids, all, out });
  return out;
}

/** Whether a headless service's port has endpoints and every one of them takes mesh mTLS. */
function allTakeMtls(snap: Snapshot, spec: ClusterSpec): boolean {
  const eps = clusterEndpoints(snap, spec);
  return eps.length > 0 && eps.every((e) => acceptsMtls(snap, spec.service.namespace, e));
}

export function generateClusters(snap: Snapshot, proxy: Proxy): NamedResource[] {
  const certs = clientCerts(proxy);
  const specs = outboundClusterSpecs(snap, proxy);
  const resources: Json[] = specs.map((s) => (certs ? withMtls(snap, s, memoCluster(snap, s, proxy), certs) : memoCluster(snap, s, proxy)));
  // The clusters that may speak HTTP/1 upstream (an HTTP or sniffed port's), for proxyHeaders' preserveHttp1HeaderCase.
  const http1 = new Set<string>();
  for (const s of specs) if (speaksHttp1(s.port.protocol)) http1.add(s.name);
  if (proxy.type === 'sidecar') {
    const labels = proxyLabels(snap, proxy);
    const landing = servicesByWorkloadPort(snap, proxy, labels);
    const sidecar = proxySidecar(snap, proxy, () => labels);
    for (const p of inboundPorts(snap, proxy)) {
      const c = inboundCluster(p, inboundPool(snap, proxy, p.port, labels, landing), connectMs(snap), inboundStatName(snap, p, landing, sidecar));
      if (speaksHttp1(p.protocol)) http1.add(c.name);
      resources.push(c);
    }
  }
  resources.push(...staticClusters(proxy.type === 'sidecar', snap.mesh, connectMs(snap)));
  // The mesh's ALLOW_ANY_DYNAMIC_DNS: plaintext HTTP to unknown destinations goes through this one (allow-any-dns.ts).
  if (proxy.type === 'sidecar' && unknownDestinations(proxySidecar(snap, proxy, () => proxyLabels(snap, proxy)), snap.mesh).dynamicDns) {
    resources.push(allowAnyDnsCluster(snap.mesh, connectMs(snap), passthroughProtocolOptions(), certs));
  }
  // Where WasmPlugins' remote code is fetched from (wasm.ts).
  resources.push(...wasmClusters(snap, proxy));
  return withClusterHeaderCase(snap, proxy, resources, (c) => http1.has(c.name)).map((r) => ({ name: r.name as string, resource: r }));
}

/** A port whose requests may go upstream as HTTP/1: HTTP, or sniffed (Istio's IsHTTP without HTTP/2, or unsupported). */
const speaksHttp1 = (p: ServicePort['protocol']): boolean => p === 'HTTP' || p === 'UNSUPPORTED';

/**
 * ClusterLoadAssignments memoized on the service's endpoint list and the (memoized) cluster spec (shared by every
 * proxy scope, and by the next snapshot when neither changed): the same object comes back, so it is encoded and
 * hashed once.
 */
const assignments = new WeakMap<readonly Endpoint[], WeakMap<ClusterSpec, Map<string, { policies: readonly Config[]; la: Json }>>>();
function memoAssignment(snap: Snapshot, spec: ClusterSpec, place: ProxyPlace): Json {
  const eps = endpointsOf(snap, spec.service);
  if (!eps) return loadAssignment(spec.name, []);
  // With locality load balancing, the assignment depends on where the proxy is (its locality, and for
  // failoverPriority its labels): one per such place.
  const plan = localityPlan(spec.policy, snap.mesh.localityLb, spec.service, snap.mesh.zoneAwareLb);
  const key = plan ? placeKey(plan, place) : '';
  let m = assignments.get(eps);
  if (!m) assignments.set(eps, (m = new WeakMap()));
  let byPlace = m.get(spec);
  if (!byPlace) m.set(spec, (byPlace = new Map()));
  // Which endpoints take mTLS reads the PeerAuthentications too: an assignment built under others is built again.
  const hit = byPlace.get(key);
  if (hit && hit.policies === snap.peerAuthentications) return hit.la;
  const groups = localityGroups(clusterEndpoints(snap, spec));
  let la = groupedAssignment(spec.name, groups, mtlsAcceptor(snap, spec));
  if (plan && key) la = applyLocality(la, place, plan, groups);
  byPlace.set(key, { policies: snap.peerAuthentications, la });
  return la;
}

/**
 * EDS: one ClusterLoadAssignment per EDS cluster (empty ones too, so Envoy does not wait for them), and for a proxy
 * with self-discovery its local_cluster's (self-discovery.ts).
 */
export function generateEndpoints(snap: Snapshot, proxy: Proxy): NamedResource[] {
  const place = proxyPlace(snap, proxy);
  const out = outboundClusterSpecs(snap, proxy)
    .filter((s) => s.type === 'EDS')
    .map((s) => ({ name: s.name, resource: memoAssignment(snap, s, place) }));
  if (selfDiscovery(proxy)) out.push({ name: LOCAL_CLUSTER, resource: localClusterAssignment(snap, proxy, (name, eps, accepts) => loadAssignment(name, eps, false, accepts)) });
  return out;
}
