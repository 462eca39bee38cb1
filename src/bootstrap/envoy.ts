/**
 * The Envoy bootstrap for a sidecar or gateway: ADS over gRPC to the control plane (cluster
 * `xds-grpc`, HTTP/2), listeners and clusters from ADS, admin on 127.0.0.1:15000, Prometheus
 * stats on :15090 (/stats/prometheus) and readiness on :15021 (/healthz/ready), both served by
 * routing to the admin interface. Pure: the document is a plain object in Envoy's snake_case JSON
 * form (no Durations or wrapper types, so it is the same in proto3 JSON and protobufjs objects; a stats flush
 * interval, a Duration, and the access log service's keepalive, access-log-service.ts, are proto3 JSON only).
 * Also used by `mizzen bootstrap`.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { posix } from 'node:path';
import { MeshCerts, PROXY_TO_APP_SOURCE, Ports, TypeUrls, WorkloadCertFiles } from '../core/constants.js';
import { type Result, ok, fail } from '../core/result.js';
import { oneByte } from '../core/one-byte.js';
import { accessLogServiceCluster, type AccessLogServiceOptions } from './access-log-service.js';

export const XDS_CLUSTER = 'xds-grpc';
export const ADMIN_CLUSTER = 'envoy-admin';
export const STATS_PATH = '/stats/prometheus';
export const READY_PATH = '/healthz/ready';
/** The SDS secret (served from a file, not by the control plane) that holds the proxy's client certificate for xDS. */
export const XDS_CLIENT_SECRET = 'xds-client-cert';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const HTTP_OPTIONS = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export interface EnvoyBootstrapOptions {
  /** host:port (or [v6]:port) of the xDS server as the proxy reaches it. */
  xdsAddress: string;
  /** Node id; leave out when the command line sets it (`--service-node`). */
  nodeId?: string;
  /** Envoy log level (not part of the bootstrap document; used by envoyArgs). */
  logLevel: string;
  /** node.cluster (the local service cluster), e.g. "reviews.default". */
  clusterName: string;
  /** node.metadata (a google.protobuf.Struct in plain JSON form), e.g. NAMESPACE, LABELS. */
  metadata?: Record<string, unknown>;
  /** Rewritten application probes the proxy answers (inject/probes.ts), and the pod address they go to. */
  appProbes?: { address: string; routes: readonly AppProbeRoute[] };
  /**
   * xDS over TLS: the control plane's certificate is checked against `caFile` (the mesh CA, root-cert.pem) and must
   * name `serverName`; without it, plaintext. With `clientSds` (an absolute path to a file xdsClientSds() wrote), the
   * proxy also presents a client certificate, read through file-based SDS so that Envoy reloads it when it is renewed.
   */
  xdsTls?: XdsTls;
  /** Histogram buckets (Envoy's stats_config.histogram_bucket_settings) by stat name prefix, in order. */
  histogramBuckets?: ReadonlyArray<{ prefix: string; buckets: readonly number[] }>;
  /** Envoy's stats_flush_interval, in milliseconds (absent: Envoy's 5 s). */
  statsFlushMs?: number;
  /** ProxyConfig envoyAccessLogService: the envoy_accesslog_service cluster (access-log-service.ts). */
  accessLogService?: AccessLogServiceOptions;
  /**
   * Self-discovery (node metadata ENABLE_SELF_DISCOVERY, Istio's ISTIO_META_ENABLE_SELF_DISCOVERY): the cluster
   * LOCAL_CLUSTER, fed by EDS with the proxy's own service's instances, named cluster_manager.local_cluster_name, so
   * that Envoy can route by zone (xds/gen/self-discovery.ts). `locality` is then node.locality when known.
   */
  selfDiscovery?: { locality?: { region?: string; zone?: string; sub_zone?: string } };
}

/** The cluster of the proxy's own service's instances, for zone-aware routing (Istio's name). */
export const LOCAL_CLUSTER = 'local_cluster';

export interface XdsTls {
  caFile: string;
  serverName: string;
  clientSds?: string;
}

/** A rewritten probe's route in the proxy: its path on the app-health port → the application's port and path. */
export interface AppProbeRoute {
  path: string;
  port: number;
  https: boolean;
  /** The original path (with its query). */
  target: string;
}

/** The port rewritten probes come to: Istio's agent port, which istio-init never redirects. */
export const APP_HEALTH_PORT = 15020;

/**
 * Node metadata naming the mesh certificate files in `dir` (absolute, as the proxy sees it), with Istio's keys for
 * file-mounted certificates: the same files as server and as client. The xDS server gives such a proxy mesh mTLS.
 */
export function certMetadata(dir: string): Record<string, string> {
  const file = (name: string) => `${dir.replace(/\/+$/, '')}/${name}`;
  const m = MeshCerts.metadata;
  return {
    [m.serverChain]: file(WorkloadCertFiles.certChain),
    [m.serverKey]: file(WorkloadCertFiles.key),
    [m.serverRoot]: file(WorkloadCertFiles.root),
    [m.clientChain]: file(WorkloadCertFiles.certChain),
    [m.clientKey]: file(WorkloadCertFiles.key),
    [m.clientRoot]: file(WorkloadCertFiles.root),
  };
}

/** Splits "host:port" / "[v6]:port"; errors name the field `xdsAddress`. */
export function parseHostPort(address: string): Result<{ host: string; port: number }> {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:\s[\]]+):(\d+)$/.exec(address);
  if (!m) return fail(`xdsAddress: "${address}" must be host:port`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return fail(`xdsAddress: port ${m[2]} must be between 1 and 65535`);
  return ok({ host: m[1]!, port });
}

const socket = (address: string, port: number) => ({ socket_address: { address, port_value: port } });

/** A cluster of one address: STATIC for an IP (or `fixed`, a $(VAR) Kubernetes expands to one), else STRICT_DNS. */
function staticCluster(name: string, host: string, port: number, http2: boolean, fixed = false): Record<string, unknown> {
  const isIp = fixed || isIPv4(host) || isIPv6(host);
  return {
    name,
    type: isIp ? 'STATIC' : 'STRICT_DNS',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(host, port) } }] }] },
    ...(http2
      ? { typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': HTTP_OPTIONS, explicit_http_config: { http2_protocol_options: {} } } } }
      : {}),
  };
}

/** A listener on 0.0.0.0:port with one connection manager whose routes (any Host) are `routes`. */
function routeListener(name: string, port: number, routes: readonly Record<string, unknown>[]): Record<string, unknown> {
  return {
    name,
    address: socket('0.0.0.0', port),
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              stat_prefix: name,
              codec_type: 'AUTO',
              route_config: { name, virtual_hosts: [{ name, domains: ['*'], routes }] },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
            },
          },
        ],
      },
    ],
  };
}

/** A listener whose only route sends `match` to the admin interface (at `prefixRewrite`, when given). */
const adminRouteListener = (name: string, port: number, match: Record<string, string>, prefixRewrite?: string): Record<string, unknown> =>
  routeListener(name, port, [{ match, route: { cluster: ADMIN_CLUSTER, ...(prefixRewrite ? { prefix_rewrite: prefixRewrite } : {}) } }]);

/** Upstream TLS (Envoy's UpstreamTlsContext, with `context` when given). */
const upstreamTls = (context: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'envoy.transport_sockets.tls',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', ...context },
});

/**
 * The app-health listener on 0.0.0.0:15020 and its clusters: each rewritten probe's path routed to the application's
 * port on the pod's own address, with the original path; over TLS, unverified as the kubelet does, for an HTTPS
 * probe.
 */
function appProbes(probes: NonNullable<EnvoyBootstrapOptions['appProbes']>): { listener: Record<string, unknown>; clusters: Array<Record<string, unknown>> } {
  const clusterName = (r: AppProbeRoute) => `app-health-${r.port}${r.https ? '-tls' : ''}`;
  const clusters = new Map<string, Record<string, unknown>>();
  for (const r of probes.routes) {
    const name = clusterName(r);
    if (clusters.has(name)) continue;
    // From 127.0.0.6, as the inbound clusters: istio-init sends the proxy's other connections to its own pod IP to 15006.
    const source = { upstream_bind_config: { source_address: { address: PROXY_TO_APP_SOURCE, port_value: 0 } } };
    clusters.set(name, { ...staticCluster(name, probes.address, r.port, false, true), ...source, ...(r.https ? { transport_socket: upstreamTls() } : {}) });
  }
  const routes = probes.routes.map((r) => ({ match: { path: r.path }, route: { cluster: clusterName(r), prefix_rewrite: r.target } }));
  return { listener: routeListener('app-health', APP_HEALTH_PORT, routes), clusters: [...clusters.values()] };
}

/**
 * The content of the file that `xdsTls.clientSds` names: a DiscoveryResponse-shaped document with one Secret, the
 * certificate and key in `certDir` (absolute, as the proxy sees it). Envoy reads certificates given inline in a static
 * TLS context once; given through SDS with file names, it re-reads them when an entry of `watched_directory` is moved,
 * which is how a Kubernetes Secret volume swaps its files (through its ..data symlink).
 */
export function xdsClientSds(certDir: string): Record<string, unknown> {
  const dir = certDir.replace(/\/+$/, '') || '/';
  return {
    resources: [
      {
        '@type': TypeUrls.secret,
        name: XDS_CLIENT_SECRET,
        tls_certificate: {
          certificate_chain: { filename: posix.join(dir, WorkloadCertFiles.certChain) },
          private_key: { filename: posix.join(dir, WorkloadCertFiles.key) },
          watched_directory: { path: dir },
        },
      },
    ],
  };
}

/**
 * xDS over TLS with the workload certificate directory `certDir` (absolute, as the proxy sees it; the layout of
 * `mizzen workload-cert --out`): the control plane checked against root-cert.pem for `serverName`, and the client
 * certificate read through the SDS file MeshCerts.xdsClientFile beside the certificates, as in a sidecar's /etc/certs.
 */
export function certDirXdsTls(certDir: string, serverName: string): XdsTls {
  const dir = certDir.replace(/\/+$/, '') || '/';
  return { caFile: posix.join(dir, WorkloadCertFiles.root), serverName, clientSds: posix.join(dir, MeshCerts.xdsClientFile) };
}

/** The control plane's cluster: HTTP/2, over TLS (ALPN h2, the server's name and CA checked) when `tls` says so. */
function xdsCluster(host: string, port: number, tls: XdsTls | undefined): Record<string, unknown> {
  const cluster = staticCluster(XDS_CLUSTER, host, port, true);
  if (!tls) return cluster;
  const validation = { trusted_ca: { filename: tls.caFile }, match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: tls.serverName } }] };
  // The file is watched through its directory: a ConfigMap volume, too, replaces its files by moving a symlink.
  const client = tls.clientSds
    ? {
        tls_certificate_sds_secret_configs: [
          { name: XDS_CLIENT_SECRET, sds_config: { path_config_source: { path: tls.clientSds, watched_directory: { path: posix.dirname(tls.clientSds) } }, resource_api_version: 'V3' } },
        ],
      }
    : {};
  return { ...cluster, transport_socket: upstreamTls({ sni: tls.serverName, common_tls_context: { alpn_protocols: ['h2'], ...client, validation_context: validation } }) };
}

function nodeOf(opts: EnvoyBootstrapOptions): Record<string, unknown> {
  const node: Record<string, unknown> = {};
  if (opts.nodeId) node.id = opts.nodeId;
  node.cluster = opts.clusterName;
  if (opts.metadata && Object.keys(opts.metadata).length > 0) node.metadata = opts.metadata;
  // Envoy's local zone for zone-aware routing is its node's.
  const locality = opts.selfDiscovery?.locality;
  if (locality && Object.values(locality).some(Boolean)) node.locality = locality;
  return node;
}

/**
 * The static cluster of the proxy's own service's instances, by EDS over ADS as Istio's agent adds it (its least
 * request policy left to Envoy's default: nothing is routed to this cluster; Envoy only counts its hosts by zone).
 */
const localCluster = (): Record<string, unknown> => ({
  name: LOCAL_CLUSTER,
  type: 'EDS',
  eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: LOCAL_CLUSTER },
});

/** The envoy.config.bootstrap.v3.Bootstrap document. */
export function envoyBootstrap(opts: EnvoyBootstrapOptions): Result<Record<string, unknown>> {
  const xds = parseHostPort(opts.xdsAddress);
  if (!xds.ok) return xds;
  const sds = opts.xdsTls?.clientSds;
  if (sds !== undefined && !/^\/.*[^/]$/.test(sds)) return fail(`xdsTls.clientSds: "${sds}" must be the absolute path of a file`);
  const ads = { ads: {}, resource_api_version: 'V3' };
  const probes = opts.appProbes && opts.appProbes.routes.length > 0 ? appProbes(opts.appProbes) : undefined;
  return ok({
    node: nodeOf(opts),
    admin: { address: socket('127.0.0.1', Ports.proxyAdmin) },
    dynamic_resources: {
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', set_node_on_first_message_only: true, grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER } }] },
      cds_config: ads,
      lds_config: ads,
    },
    static_resources: {
      listeners: [
        adminRouteListener('stats', Ports.proxyStats, { prefix: STATS_PATH }),
        // Envoy's admin /ready answers 200 only once the server is LIVE (initial xDS fetched, not draining).
        adminRouteListener('health', Ports.proxyHealth, { path: READY_PATH }, '/ready'),
        ...(probes ? [probes.listener] : []),
      ],
      clusters: [xdsCluster(xds.value.host, xds.value.port, opts.xdsTls), staticCluster(ADMIN_CLUSTER, '127.0.0.1', Ports.proxyAdmin, false), ...(probes?.clusters ?? []), ...(opts.accessLogService ? [accessLogServiceCluster(opts.accessLogService)] : []), ...(opts.selfDiscovery ? [localCluster()] : [])],
    },
    ...(opts.selfDiscovery && { cluster_manager: { local_cluster_name: LOCAL_CLUSTER } }),
    ...(opts.histogramBuckets?.length && { stats_config: { histogram_bucket_settings: opts.histogramBuckets.map((h) => ({ match: { prefix: h.prefix }, buckets: [...h.buckets] })) } }),
    // A Duration, which Envoy's JSON parser takes as text only ("1.500s"), never as {seconds, nanos}.
    ...(opts.statsFlushMs !== undefined && { stats_flush_interval: `${(opts.statsFlushMs / 1000).toFixed(3)}s` }),
  });
}

/**
 * Everything after `node` depends only on the xDS address (and TLS): serialized once per address (the text after the
 * document's opening brace, and that text as it reads inside a JSON string), so a pod's bootstrap costs one
 * small stringify of its node.
 */
interface StaticPart {
  json: string;
  quoted: string;
}
const staticParts = new Map<string, Result<StaticPart>>();
const MAX_STATIC_PARTS = 64;

function staticPart(xdsAddress: string, xdsTls: XdsTls | undefined): Result<StaticPart> {
  const key = xdsTls ? `${xdsAddress}|${xdsTls.caFile}|${xdsTls.serverName}|${xdsTls.clientSds ?? ''}` : xdsAddress;
  let part = staticParts.get(key);
  if (part === undefined) {
    const doc = envoyBootstrap({ xdsAddress, logLevel: 'info', clusterName: '', ...(xdsTls ? { xdsTls } : {}) });
    if (doc.ok) {
      const { node: _node, ...rest } = doc.value;
      const json = JSON.stringify(rest).slice(1);
      part = ok({ json: oneByte(json), quoted: oneByte(JSON.stringify(json).slice(1, -1)) });
    } else part = doc;
    if (staticParts.size >= MAX_STATIC_PARTS) staticParts.clear();
    staticParts.set(key, part);
  }
  return part;
}

export interface BootstrapText {
  /** JSON.stringify(envoyBootstrap(opts).value), byte for byte. */
  json: string;
  /** JSON.stringify(json): the bootstrap as a JSON string value (e.g. inside a container's args). */
  quoted: string;
}

/**
 * The bootstrap's JSON text, without rebuilding and re-serializing its static part. `metadataJson`, when
 * given, is node.metadata already serialized (a non-empty object; it replaces `opts.metadata`).
 */
export function envoyBootstrapText(opts: EnvoyBootstrapOptions, metadataJson?: string): Result<BootstrapText> {
  // Rewritten probes, histogram buckets, a flush interval, an access log service and self-discovery add to the
  // static part: such a bootstrap is built whole.
  if ((opts.appProbes && opts.appProbes.routes.length > 0) || opts.histogramBuckets?.length || opts.statsFlushMs !== undefined || opts.accessLogService || opts.selfDiscovery) {
    const doc = envoyBootstrap(metadataJson === undefined ? opts : { ...opts, metadata: JSON.parse(metadataJson) as Record<string, unknown> });
    if (!doc.ok) return doc;
    const json = JSON.stringify(doc.value);
    return ok({ json, quoted: JSON.stringify(json) });
  }
  const part = staticPart(opts.xdsAddress, opts.xdsTls);
  if (!part.ok) return part;
  const node =
    metadataJson === undefined
      ? JSON.stringify(nodeOf(opts))
      : `{${opts.nodeId ? `"id":${JSON.stringify(opts.nodeId)},` : ''}"cluster":${JSON.stringify(opts.clusterName)},"metadata":${metadataJson}}`;
  const head = `{"node":${node},`;
  // Escaping is per character and the split falls after an ASCII comma, so the parts escape independently.
  const quotedHead = JSON.stringify(head);
  return ok({ json: head + part.value.json, quoted: `${quotedHead.slice(0, -1)}${part.value.quoted}"` });
}

export interface EnvoyArgsOptions {
  /** The bootstrap document, or its JSON text (from envoyBootstrapText). */
  bootstrap: Record<string, unknown> | string;
  logLevel: string;
  /** --service-node; may hold $(VAR) references that Kubernetes expands from the container env. */
  serviceNode?: string;
  serviceCluster?: string;
  concurrency?: number;
  /** --component-log-level, e.g. "upstream:debug,connection:trace". */
  componentLogLevel?: string;
  /** --drain-time-s (ProxyConfig drainDuration), with the immediate drain strategy, as Istio's agent starts Envoy. */
  drainSeconds?: number;
}

/**
 * Envoy's command line for a bootstrap passed inline (`--config-yaml`: JSON is YAML), so no
 * per-pod ConfigMap or file is needed. Starts with a flag, so both envoyproxy/envoy (whose
 * entrypoint prepends `envoy`) and the distroless image (entrypoint `envoy`) accept it as args.
 */
export function envoyArgs(o: EnvoyArgsOptions): string[] {
  const args = ['--config-yaml', typeof o.bootstrap === 'string' ? o.bootstrap : JSON.stringify(o.bootstrap)];
  if (o.serviceNode) args.push('--service-node', o.serviceNode);
  if (o.serviceCluster) args.push('--service-cluster', o.serviceCluster);
  args.push('--log-level', o.logLevel);
  if (o.componentLogLevel) args.push('--component-log-level', o.componentLogLevel);
  // Told to drain (a listener update, or the preStop hook's drain_listeners, inject/drain.ts), Envoy asks clients to
  // close at once rather than spread over the drain time.
  if (o.drainSeconds !== undefined) args.push('--drain-time-s', String(o.drainSeconds), '--drain-strategy', 'immediate');
  args.push('--disable-hot-restart');
  if (o.concurrency !== undefined) args.push('--concurrency', String(o.concurrency));
  return args;
}
