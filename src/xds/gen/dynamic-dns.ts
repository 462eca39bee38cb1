/**
 * ServiceEntry `resolution: DYNAMIC_DNS` on Envoy proxies, as istiod serves it to sidecars: a wildcard host
 * (`*.googleapis.com`) reached through Envoy's dynamic forward proxy, which resolves each name the client asks for.
 * - CDS: one cluster per port, `outbound|<port>||<host>` (no subsets), of the custom cluster type
 *   `envoy.clusters.dynamic_forward_proxy` with the DNS cache `<host>_dfp_dns_cache` (V4_ONLY, as mizzen's DNS
 *   clusters) and the CLUSTER_PROVIDED load balancer; the DestinationRule's other settings apply as to any cluster.
 * - HTTP, GRPC and HTTP2 ports: the route configuration of the port has a virtual host for the wildcard host (routes.ts)
 *   and the outbound connection manager of the port the HTTP filter `envoy.filters.http.dynamic_forward_proxy` with
 *   that host's cache, before the router: it resolves the request's Host and leaves requests to other clusters alone.
 *   istiod adds the filter of the service that built the port's listener only; mizzen adds one per DYNAMIC_DNS host
 *   of the port, as a DFP cluster finds only the names resolved into its own cache.
 * - TLS ports: the filter chain for the host's SNI gets `envoy.filters.network.sni_dynamic_forward_proxy` (same
 *   cache, the port as upstream port) before its tcp_proxy; the TLS inspector is there for the SNI already.
 * - TLS origination (a DestinationRule's tls: SIMPLE, MUTUAL, ISTIO_MUTUAL): as istiod's setAutoSniAndAutoSanValidation
 *   for DFP clusters, the SNI is each request's host (auto_sni) unless the rule sets one, and the server's
 *   certificate must name it (auto_san_validation) unless insecureSkipVerify; allow_insecure_cluster_options when
 *   either is off, since Envoy refuses a DFP cluster without both otherwise. A DFP cluster that stays plaintext sets
 *   it too (as istiod's ALLOW_ANY_DYNAMIC_DNS cluster): that guard is for TLS, and Envoy would otherwise refuse a
 *   plaintext gRPC port's cluster, whose protocol options carry no auto_sni.
 * - Gateways get the same clusters, and the filters where their routes lead to such a host (gateway.ts).
 * Proxyless gRPC has no dynamic forward proxy: it gets nothing for these hosts (grpc/names.ts). Pure.
 */
import type { Service, Snapshot } from '../../model/types.js';
import { type Json, any } from './common.js';
import { hostService } from './host-definitions.js';

export const DFP_CLUSTER_TYPE = 'envoy.clusters.dynamic_forward_proxy';
export const DFP_HTTP_FILTER = 'envoy.filters.http.dynamic_forward_proxy';
export const SNI_DFP_FILTER = 'envoy.filters.network.sni_dynamic_forward_proxy';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const TLS_SOCKET = 'envoy.transport_sockets.tls';
const PROXY_PROTOCOL_SOCKET = 'envoy.transport_sockets.upstream_proxy_protocol';

/** Whether a service is a DYNAMIC_DNS wildcard host (the model keeps that resolution for those alone). */
export const isDynamicDns = (svc: Service | undefined): boolean => svc?.resolution === 'DYNAMIC_DNS';

/** istiod's name for a host's DNS cache. */
export const dnsCacheName = (host: string): string => `${host}_dfp_dns_cache`;

/** A host's DNS cache: the same settings wherever it is named (Envoy refuses one name with two configurations). */
const dnsCache = (host: string): Json => ({ name: dnsCacheName(host), dns_lookup_family: 'V4_ONLY' });

/**
 * The HTTP filter that resolves, into the DNS cache `cache`, the Host of requests routed to a dynamic forward proxy
 * cluster (any of them: Envoy's filter does not compare caches; a cluster finds only the names in its own).
 */
export const cacheHttpFilter = (cache: Json): Json => ({
  name: DFP_HTTP_FILTER,
  typed_config: any('envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig', { dns_cache_config: cache }),
});

/** The HTTP filter that resolves the Host of requests routed to the host's cluster. */
export const dfpHttpFilter = (host: string): Json => cacheHttpFilter(dnsCache(host));

/** The network filter that resolves a TLS connection's SNI, to be connected to on `port`. */
export const sniDfpFilter = (host: string, port: number): Json => ({
  name: SNI_DFP_FILTER,
  typed_config: any('envoy.extensions.filters.network.sni_dynamic_forward_proxy.v3.FilterConfig', { dns_cache_config: dnsCache(host), port_value: port }),
});

const PORT_HTTP = new Set(['HTTP', 'GRPC', 'HTTP2']);
const httpMemo = new WeakMap<readonly Service[], Map<number, Json[]>>();

/**
 * The HTTP filters of the DYNAMIC_DNS hosts among `services` (a shared, memoized list) with an HTTP port `port`, in
 * the list's order: what the port's outbound connection manager needs. Shared arrays: never modified.
 */
export function portDfpFilters(services: readonly Service[], port: number): readonly Json[] {
  let byPort = httpMemo.get(services);
  if (!byPort) {
    byPort = new Map();
    for (const svc of services) {
      if (!isDynamicDns(svc)) continue;
      for (const p of new Set(svc.ports.filter((sp) => PORT_HTTP.has(sp.protocol)).map((sp) => sp.port))) {
        const list = byPort.get(p) ?? [];
        if (list.length === 0) byPort.set(p, list);
        list.push(dfpHttpFilter(svc.hostname));
      }
    }
    httpMemo.set(services, byPort);
  }
  return byPort.get(port) ?? [];
}

/**
 * The DYNAMIC_DNS hosts among these cluster names (`outbound|<port>|<subset>|<host>`), once each, with the cluster's
 * port; a host as the proxies of `namespace` have it defined (host-definitions.ts).
 */
export function dynamicDnsTargets(snap: Snapshot, clusters: Iterable<string>, namespace: string): Array<{ host: string; port: number }> {
  const out = new Map<string, number>();
  for (const name of clusters) {
    const [direction, port, , host = ''] = name.split('|');
    const n = Number(port);
    if (direction !== 'outbound' || !Number.isInteger(n) || n < 1 || n > 65535 || out.has(host)) continue;
    if (isDynamicDns(hostService(snap, namespace, host))) out.set(host, n);
  }
  return [...out].map(([host, port]) => ({ host, port }));
}

/** The SNI filters a TLS chain needs in front of a tcp_proxy to these clusters. */
export const sniDfpFilters = (snap: Snapshot, clusters: Iterable<string>, namespace: string): Json[] => dynamicDnsTargets(snap, clusters, namespace).map((t) => sniDfpFilter(t.host, t.port));

/** The HTTP filters a connection manager needs for routes to these clusters. */
export const httpDfpFilters = (snap: Snapshot, clusters: Iterable<string>, namespace: string): Json[] => dynamicDnsTargets(snap, clusters, namespace).map((t) => dfpHttpFilter(t.host));

/** Whether a cluster's transport socket speaks TLS (itself, or inside the PROXY protocol wrapper). */
function originatesTls(cluster: Json): boolean {
  const socket = cluster.transport_socket as Json | undefined;
  const inner = socket?.name === PROXY_PROTOCOL_SOCKET ? (socket.typed_config?.transport_socket as Json | undefined) : socket;
  return inner?.name === TLS_SOCKET;
}

/** A cluster's HTTP protocol options with upstream_http_protocol_options replaced (undefined: removed). */
function withUpstreamOptions(cluster: Json, upstream: Json | undefined, http2: boolean): Json | undefined {
  const all = cluster.typed_extension_protocol_options as Json | undefined;
  const { upstream_http_protocol_options: _old, ...options } = (all?.[HTTP_OPTIONS] as Json | undefined) ?? {};
  const has = all?.[HTTP_OPTIONS] !== undefined;
  if (!upstream && !has) return all;
  // The options need a protocol: the port's own, as clusterPolicyFields writes it.
  const base = has ? options : any(HTTP_OPTIONS, { explicit_http_config: http2 ? { http2_protocol_options: {} } : { http_protocol_options: {} } });
  return { ...all, [HTTP_OPTIONS]: upstream ? { ...base, upstream_http_protocol_options: upstream } : base };
}

/**
 * An outbound cluster (its policy fields already set, clusters.ts and mtls.ts) as the host's dynamic forward proxy
 * cluster: no discovery type nor load balancer settings of its own, the TLS settings above. `tls`: the
 * DestinationRule's tls for it. Idempotent (applied again after mesh mTLS is added); never modifies `cluster`.
 */
export const dynamicDnsCluster = (cluster: Json, host: string, tls: Json | undefined, http2: boolean): Json => cacheCluster(cluster, dnsCache(host), tls, http2);

/** A cluster as a dynamic forward proxy cluster resolving into the DNS cache `cache` (dynamicDnsCluster). */
export function cacheCluster(cluster: Json, cache: Json, tls: Json | undefined, http2: boolean): Json {
  const {
    type: _type, eds_cluster_config: _eds, load_assignment: _la, dns_lookup_family: _family, respect_dns_ttl: _ttl,
    ring_hash_lb_config: _ring, maglev_lb_config: _maglev, least_request_lb_config: _lr, round_robin_lb_config: _rr, original_dst_lb_config: _od,
    cluster_type: _ct, ...rest
  } = cluster;
  const out: Json = { ...rest, lb_policy: 'CLUSTER_PROVIDED' };
  // Locality weights and zone-aware routing are for clusters with endpoints; CLUSTER_PROVIDED takes neither (istiod
  // skips the balancer's settings).
  if (out.common_lb_config?.locality_weighted_lb_config || out.common_lb_config?.zone_aware_lb_config) {
    const { locality_weighted_lb_config: _lw, zone_aware_lb_config: _za, ...common } = out.common_lb_config as Json;
    if (Object.keys(common).length > 0) out.common_lb_config = common;
    else delete out.common_lb_config;
  }
  const secure = originatesTls(out);
  const autoSni = secure && !(typeof tls?.sni === 'string' && tls.sni !== '');
  const autoSan = secure && tls?.insecureSkipVerify !== true;
  const upstream = autoSni || autoSan ? { ...(autoSni ? { auto_sni: true } : {}), ...(autoSan ? { auto_san_validation: true } : {}) } : undefined;
  const options = withUpstreamOptions(out, upstream, http2);
  if (options) out.typed_extension_protocol_options = options;
  const config = { dns_cache_config: cache, ...(!autoSni || !autoSan ? { allow_insecure_cluster_options: true } : {}) };
  out.cluster_type = { name: DFP_CLUSTER_TYPE, typed_config: any('envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig', config) };
  return out;
}

const presentMemo = new WeakMap<ReadonlyMap<string, Service>, boolean>();
/** Whether the registry has any DYNAMIC_DNS host (what spares gateways the look for them otherwise). */
export function hasDynamicDns(snap: Snapshot): boolean {
  let has = presentMemo.get(snap.services);
  if (has === undefined) presentMemo.set(snap.services, (has = [...snap.services.values()].some(isDynamicDns)));
  return has;
}

/** The clusters the routes of these virtual hosts send to: their cluster, weighted clusters and mirrors. */
export function routeClusters(virtualHosts: readonly Json[]): Set<string> {
  const out = new Set<string>();
  for (const vh of virtualHosts) {
    for (const r of Array.isArray(vh?.routes) ? (vh.routes as Json[]) : []) {
      const action = r?.route as Json | undefined;
      if (!action) continue;
      if (typeof action.cluster === 'string') out.add(action.cluster);
      for (const w of Array.isArray(action.weighted_clusters?.clusters) ? (action.weighted_clusters.clusters as Json[]) : []) if (typeof w?.name === 'string') out.add(w.name);
      for (const m of Array.isArray(action.request_mirror_policies) ? (action.request_mirror_policies as Json[]) : []) if (typeof m?.cluster === 'string') out.add(m.cluster);
    }
  }
  return out;
}
