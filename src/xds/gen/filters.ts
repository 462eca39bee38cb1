/** Network and HTTP filter builders shared by sidecar and gateway listeners, and a walk over generated listeners. */
import { type Json, adsSource, any } from './common.js';
import { duration } from '../proto.js';
import { CORS_FILTER, HTTP_FAULT_FILTER, ROUTER_FILTER } from './httproute.js';
import type { NamedResource } from './types.js';
import type { MeshSettings } from '../../model/types.js';

/** fault, cors, `beforeRouter` (dynamic forward proxies), then router (router last, as Envoy and gRPC require). */
export function httpFilters(beforeRouter: readonly Json[] = []): Json[] {
  return [
    { name: HTTP_FAULT_FILTER, typed_config: any('envoy.extensions.filters.http.fault.v3.HTTPFault') },
    { name: CORS_FILTER, typed_config: any('envoy.extensions.filters.http.cors.v3.Cors') },
    ...beforeRouter,
    { name: ROUTER_FILTER, typed_config: any('envoy.extensions.filters.http.router.v3.Router') },
  ];
}

const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/**
 * The mesh config's pathNormalization as istiod sets it on every connection manager: RFC 3986 normalization (BASE, the
 * default), none, or also merged slashes, and with DECODE_AND_MERGE_SLASHES escaped slashes decoded as well.
 */
function pathNormalization(paths: MeshSettings['pathNormalization']): Json {
  if (paths === 'NONE') return { normalize_path: { value: false } };
  if (paths === 'MERGE_SLASHES') return { normalize_path: { value: true }, merge_slashes: true };
  if (paths === 'DECODE_AND_MERGE_SLASHES') return { normalize_path: { value: true }, merge_slashes: true, path_with_escaped_slashes_action: 'UNESCAPE_AND_FORWARD' };
  return { normalize_path: { value: true } };
}
/** The server header Istio's proxies write on their inbound side and on gateways (proxy-headers.ts may change it). */
export const ISTIO_SERVER_NAME = 'istio-envoy';

/** Network filter names, for the passes that find these filters again in generated listeners (authz, access logs). */
export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';

/**
 * An HTTP connection manager taking its routes from RDS (`routeName`) or inline (`routeConfig`), with `first`
 * (authorization) before its usual filters and `beforeRouter` (dynamic-dns.ts) just before the router. Streams never
 * time out for idleness (stream_idle_timeout 0s, Envoy's default being 5 minutes), as istiod sets on every HCM:
 * long polls, server-sent events and quiet gRPC streams stay open. Header settings are Istio's defaults
 * (proxy-headers.ts puts a proxy's proxyHeaders over them).
 */
export function httpConnectionManager(
  statPrefix: string,
  routes: { rds: string } | { inline: Json },
  direction: 'outbound' | 'inbound' = 'outbound',
  first: readonly Json[] = [],
  beforeRouter: readonly Json[] = [],
  paths?: MeshSettings['pathNormalization'],
): Json {
  return {
    name: HCM_FILTER,
    typed_config: any(HCM_TYPE, {
      stat_prefix: statPrefix,
      ...('rds' in routes ? { rds: { config_source: adsSource(), route_config_name: routes.rds } } : { route_config: routes.inline }),
      http_filters: [...first, ...httpFilters(beforeRouter)],
      use_remote_address: { value: false },
      upgrade_configs: [{ upgrade_type: 'websocket' }],
      ...pathNormalization(paths),
      stream_idle_timeout: { seconds: 0, nanos: 0 },
      // Istio's inbound defaults: its server header, and x-forwarded-client-cert with the client's subject and SANs.
      ...(direction === 'inbound' ? { server_name: ISTIO_SERVER_NAME, forward_client_cert_details: 'APPEND_FORWARD', set_current_client_cert_details: { subject: { value: true }, dns: true, uri: true } } : {}),
    }),
  };
}

const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** A TCP proxy to one cluster, or weighted clusters; `timeouts`: idle_timeout / max_downstream_connection_duration. */
export function tcpProxy(statPrefix: string, target: string | Array<{ name: string; weight: number }>, timeouts: Json = {}): Json {
  return {
    name: TCP_PROXY_FILTER,
    typed_config: any(TCP_PROXY_TYPE, {
      stat_prefix: statPrefix,
      ...(typeof target === 'string' || target.length === 1
        ? { cluster: typeof target === 'string' ? target : target[0]!.name }
        : { weighted_clusters: { clusters: target.map((t) => ({ name: t.name, weight: t.weight })) } }),
      ...timeouts,
    }),
  };
}

/** The ALPN values the HTTP inspector sets for plaintext HTTP: what the HTTP chain of a sniffed port matches (Istio's). */
export const PLAINTEXT_HTTP_ALPN: readonly string[] = ['http/1.1', 'http/1.0', 'h2c'];
export const httpInspectorFilter = (extra: Json = {}): Json => ({ name: 'envoy.filters.listener.http_inspector', typed_config: any('envoy.extensions.filters.listener.http_inspector.v3.HttpInspector'), ...extra });
/** `match` narrowed to connections the HTTP inspector found to be plaintext HTTP. */
export const sniffedHttpMatch = (match: Json = {}): Json => ({ ...match, transport_protocol: 'raw_buffer', application_protocols: [...PLAINTEXT_HTTP_ALPN] });
/**
 * The listener fields of protocol sniffing: how long the listener filters may wait for the client's first bytes
 * (0: no limit, Istio's default), after which the connection goes on as TCP.
 */
export const detectionTimeout = (ms: number | undefined): Json => ({ listener_filters_timeout: duration(ms ?? 0), continue_on_listener_filters_timeout: true });
export const originalDstFilter = (): Json => ({ name: 'envoy.filters.listener.original_dst', typed_config: any('envoy.extensions.filters.listener.original_dst.v3.OriginalDst') });
export const tlsInspectorFilter = (extra: Json = {}): Json => ({ name: 'envoy.filters.listener.tls_inspector', typed_config: any('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector'), ...extra });

/**
 * The listeners with `f` applied to every network filter of every filter chain (the default chain too), given the
 * listener's name: how the pass that runs after generation (telemetry.ts: access logs, tracing) reaches the
 * connection managers and tcp_proxies. New objects where anything changes; the generated ones are left as they were.
 */
export function mapNetworkFilters(listeners: readonly NamedResource[], f: (filter: Json, listener: string) => Json): NamedResource[] {
  return listeners.map(({ name, resource }) => {
    const chain = (c: Json): Json => (Array.isArray(c?.filters) ? { ...c, filters: c.filters.map((filter: Json) => f(filter, name)) } : c);
    const l = resource as Json;
    const out: Json = { ...l };
    if (Array.isArray(l.filter_chains)) out.filter_chains = l.filter_chains.map(chain);
    if (l.default_filter_chain) out.default_filter_chain = chain(l.default_filter_chain);
    return { name, resource: out };
  });
}
