/**
 * ProxyConfig's proxyHeaders on a proxy's listeners and routes, as istiod applies them: the proxy's own ProxyConfig
 * (its node's PROXY_CONFIG, which then decides whole), else the mesh config's defaultConfig. Istio's defaults stand
 * where nothing is said, and each connection manager takes them by its class: a sidecar's inbound side
 * (virtualInbound), its outbound side (every other listener), or a gateway.
 * - server: `istio-envoy` inbound and on gateways, Envoy's own (`envoy`) outbound; `value` replaces it everywhere,
 *   `disabled` leaves the header as the upstream sent it (PASS_THROUGH);
 * - requestId.disabled: no x-request-id generated (generate_request_id false);
 * - envoyDebugHeaders.disabled: the router adds no x-envoy-* headers (suppress_envoy_headers);
 * - attemptCount.disabled: no x-envoy-attempt-count to upstreams (the outbound and gateway virtual hosts'
 *   include_request_attempt_count, true otherwise);
 * - forwardedClientCert and setCurrentClientCertDetails: x-forwarded-client-cert on a sidecar's inbound side only
 *   (APPEND_FORWARD with the subject, URI and DNS SANs by default); gateways take theirs from gatewayTopology;
 * - xForwardedPort.enabled: append_x_forwarded_port on every connection manager; xForwardedHost.enabled:
 *   append_x_forwarded_host on routes that rewrite (httproute.ts) and on the sidecars' passthrough routes;
 * - preserveHttp1HeaderCase: every connection manager keeps HTTP/1 header names as they came (the preserve_case
 *   header formatter), and so do the clusters that speak HTTP/1 upstream (HTTP and sniffed ports, inbound and
 *   outbound, the passthrough and AllowAnyDynamicDNS clusters: withClusterHeaderCase);
 * - metadataExchangeHeaders: mizzen's proxies send no metadata exchange headers anywhere, so IN_MESH changes nothing.
 * Proxyless gRPC clients take none of it, as from istiod. Pure.
 */
import type { Snapshot } from '../../model/types.js';
import { type Proxy, proxyConfigOf } from '../../model/proxy.js';
import type { CertDetail, ProxyHeaders } from '../../model/proxy-headers.js';
import type { ForwardClientCertDetails } from '../../model/gateway-topology.js';
import { type Json, PASSTHROUGH, any } from './common.js';
import { HCM_FILTER, ISTIO_SERVER_NAME, mapNetworkFilters } from './filters.js';
import { ROUTER_FILTER } from './httproute.js';
import { ALLOW_ANY_DNS, ALLOW_ANY_DNS_CLUSTER } from './allow-any-dns.js';
import type { NamedResource } from './types.js';

/** Which side of the proxy a connection manager serves; Istio's listener classes. */
export type HeaderClass = 'inbound' | 'outbound' | 'gateway';

/** What proxyHeaders come to on one class of connection managers (Istio's defaults where it says nothing). */
export interface HeaderSettings {
  /** The server header Envoy writes; absent: Envoy's own. */
  serverName?: string;
  /** The server header passes through untouched. */
  serverPassThrough: boolean;
  generateRequestId: boolean;
  suppressDebugHeaders: boolean;
  attemptCount: boolean;
  forwardedHost: boolean;
  forwardedPort: boolean;
  preserveCase: boolean;
  /** x-forwarded-client-cert (inbound), and which parts of the client certificate go in it. */
  forwardedClientCert: ForwardClientCertDetails;
  certDetails: Record<CertDetail, boolean>;
}

/** The proxyHeaders a proxy gets: its node's ProxyConfig when it sent one (none there: Istio's defaults), else the mesh's. */
export function proxyHeadersOf(snap: Snapshot, proxy: Proxy): ProxyHeaders | undefined {
  return proxyConfigOf(snap.mesh, proxy).proxyHeaders;
}

/** What of the proxy (not of the snapshot) decides its headers, for proxyScope: empty when it gets the mesh's. */
export function headersScope(snap: Snapshot, proxy: Proxy): string {
  if (!proxy.proxyConfig) return '';
  const own = JSON.stringify(proxy.proxyConfig.proxyHeaders ?? {});
  return own === JSON.stringify(snap.mesh.proxyHeaders ?? {}) ? '' : own;
}

/** proxyHeaders as istiod reads them for a class of connection managers. */
export function headerSettings(ph: ProxyHeaders | undefined, cls: HeaderClass): HeaderSettings {
  // Istio's outbound side keeps Envoy's server name; its inbound side and gateways say istio-envoy.
  let serverName = cls === 'outbound' ? undefined : ISTIO_SERVER_NAME;
  if (ph?.server?.disabled) serverName = undefined;
  else if (ph?.server?.value) serverName = ph.server.value;
  const d = ph?.setCurrentClientCertDetails;
  return {
    ...(serverName !== undefined && { serverName }),
    serverPassThrough: ph?.server?.disabled === true,
    generateRequestId: ph?.requestId?.disabled !== true,
    suppressDebugHeaders: ph?.envoyDebugHeaders?.disabled === true,
    attemptCount: ph?.attemptCount?.disabled !== true,
    forwardedHost: ph?.xForwardedHost?.enabled === true,
    forwardedPort: ph?.xForwardedPort?.enabled === true,
    preserveCase: ph?.preserveHttp1HeaderCase === true,
    forwardedClientCert: ph?.forwardedClientCert ?? 'APPEND_FORWARD',
    // Subject and the SANs unless turned off; the certificate and its chain only when asked for.
    certDetails: { subject: d?.subject ?? true, uri: d?.uri ?? true, dns: d?.dns ?? true, cert: d?.cert ?? false, chain: d?.chain ?? false },
  };
}

/** Whether a proxy's routes rewriting a host append x-forwarded-host (httproute.ts). */
export const appendsForwardedHost = (snap: Snapshot, proxy: Proxy): boolean => proxyHeadersOf(snap, proxy)?.xForwardedHost?.enabled === true;

const PRESERVE_CASE = 'envoy.extensions.http.header_formatters.preserve_case.v3.PreserveCaseFormatterConfig';
/** HTTP/1 header names written as they were read, not lowercased. */
export const preserveCaseFormat = (): Json => ({ header_key_format: { stateful_formatter: { name: 'preserve_case', typed_config: any(PRESERVE_CASE) } } });

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/**
 * A cluster that keeps HTTP/1 header case upstream: the formatter on its HTTP/1 options (explicit, or those it uses
 * when the caller speaks HTTP/1); one that speaks HTTP/2 upstream has none to keep and is left as it is.
 */
function keepHeaderCase(cluster: Json): Json {
  const options: Json | undefined = cluster.typed_extension_protocol_options?.[HTTP_OPTIONS];
  let next: Json;
  if (!options) next = any(HTTP_OPTIONS, { explicit_http_config: { http_protocol_options: preserveCaseFormat() } });
  else if (options.use_downstream_protocol_config) {
    const d = options.use_downstream_protocol_config;
    next = { ...options, use_downstream_protocol_config: { ...d, http_protocol_options: { ...d.http_protocol_options, ...preserveCaseFormat() } } };
  } else if (options.explicit_http_config?.http_protocol_options) {
    next = { ...options, explicit_http_config: { http_protocol_options: { ...options.explicit_http_config.http_protocol_options, ...preserveCaseFormat() } } };
  } else return cluster;
  return { ...cluster, typed_extension_protocol_options: { ...cluster.typed_extension_protocol_options, [HTTP_OPTIONS]: next } };
}

/**
 * The clusters with preserveHttp1HeaderCase applied, as istiod's setUpstreamProtocol and passthrough clusters apply
 * it: `http1` says which clusters carry HTTP/1 (an HTTP or sniffed port's); the passthrough ones always may.
 */
export function withClusterHeaderCase(snap: Snapshot, proxy: Proxy, clusters: Json[], http1: (cluster: Json) => boolean): Json[] {
  if (proxyHeadersOf(snap, proxy)?.preserveHttp1HeaderCase !== true) return clusters;
  return clusters.map((c) => (c.name === PASSTHROUGH || c.name === ALLOW_ANY_DNS_CLUSTER || http1(c) ? keepHeaderCase(c) : c));
}

/** The connection manager's fields of these settings, over (or, for what they leave at Envoy's default, removed from) its own. */
function managerFields(config: Json, s: HeaderSettings, cls: HeaderClass): Json {
  const { server_name: _name, server_header_transformation: _t, generate_request_id: _id, append_x_forwarded_port: _port, ...rest } = config;
  const out: Json = {
    ...rest,
    ...(s.serverName !== undefined && { server_name: s.serverName }),
    ...(s.serverPassThrough && { server_header_transformation: 'PASS_THROUGH' }),
    ...(!s.generateRequestId && { generate_request_id: { value: false } }),
    ...(s.forwardedPort && { append_x_forwarded_port: true }),
  };
  if (s.preserveCase) out.http_protocol_options = { ...config.http_protocol_options, ...preserveCaseFormat() };
  if (cls === 'inbound') {
    const c = s.certDetails;
    out.forward_client_cert_details = s.forwardedClientCert;
    out.set_current_client_cert_details = { subject: { value: c.subject }, ...(c.cert && { cert: true }), ...(c.chain && { chain: true }), ...(c.dns && { dns: true }), ...(c.uri && { uri: true }) };
  }
  if (s.suppressDebugHeaders && Array.isArray(config.http_filters)) {
    out.http_filters = config.http_filters.map((f: Json) => (f?.name === ROUTER_FILTER ? { ...f, typed_config: { ...f.typed_config, suppress_envoy_headers: true } } : f));
  }
  if (config.route_config) out.route_config = withVirtualHostHeaders(config.route_config, s);
  return out;
}

/** Virtual hosts whose only routes go to wherever the client was going: Istio's passthrough routes. */
const isPassthroughHost = (name: unknown): boolean => name === 'allow_any' || name === ALLOW_ANY_DNS;

/** A route configuration's virtual hosts with the attempt count header as said, and x-forwarded-host on passthrough routes. */
function withVirtualHostHeaders(rc: Json, s: HeaderSettings): Json {
  if (!Array.isArray(rc?.virtual_hosts) || (s.attemptCount && !s.forwardedHost)) return rc;
  const vhost = (vh: Json): Json => {
    const { include_request_attempt_count: had, ...rest } = vh;
    const out: Json = { ...rest, ...(had !== undefined && s.attemptCount && { include_request_attempt_count: had }) };
    if (s.forwardedHost && isPassthroughHost(vh.name) && Array.isArray(vh.routes)) {
      out.routes = vh.routes.map((r: Json) => (r?.route ? { ...r, route: { ...r.route, append_x_forwarded_host: true } } : r));
    }
    return out;
  };
  return { ...rc, virtual_hosts: rc.virtual_hosts.map(vhost) };
}

/**
 * The listeners with the proxy's proxyHeaders on every connection manager, each by its class. Nothing to change when
 * the proxy has none: the builders already write Istio's defaults (filters.ts, gateway-topology.ts).
 */
export function withProxyHeaders(snap: Snapshot, proxy: Proxy, listeners: NamedResource[]): NamedResource[] {
  const ph = proxyHeadersOf(snap, proxy);
  if (!ph) return listeners;
  const classOf = (listener: string): HeaderClass => (proxy.type === 'router' ? 'gateway' : listener === 'virtualInbound' ? 'inbound' : 'outbound');
  const settings = new Map<HeaderClass, HeaderSettings>();
  const of = (cls: HeaderClass): HeaderSettings => settings.get(cls) ?? settings.set(cls, headerSettings(ph, cls)).get(cls)!;
  return mapNetworkFilters(listeners, (filter, listener) => {
    if (filter?.name !== HCM_FILTER || !filter.typed_config) return filter;
    const cls = classOf(listener);
    return { ...filter, typed_config: managerFields(filter.typed_config, of(cls), cls) };
  });
}

/** The route configurations (RDS: a sidecar's outbound side, a gateway's) with the proxy's proxyHeaders. */
export function withRouteHeaders(snap: Snapshot, proxy: Proxy, routes: NamedResource[]): NamedResource[] {
  const ph = proxyHeadersOf(snap, proxy);
  if (!ph) return routes;
  const s = headerSettings(ph, proxy.type === 'router' ? 'gateway' : 'outbound');
  return routes.map(({ name, resource }) => ({ name, resource: withVirtualHostHeaders(resource as Json, s) }));
}
