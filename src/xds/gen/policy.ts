/**
 * DestinationRule traffic policies → Envoy cluster settings (load balancer, circuit breakers, outlier detection,
 * HTTP protocol options, TLS origination) and route hash policies for consistent hashing, as istiod merges them
 * (util.go GetPortLevelTrafficPolicy, MergeSubsetTrafficPolicy): a portLevelSettings entry for the port replaces
 * its policy whole, a group it omits falling back to the defaults, not to the level above; a subset's own groups
 * (connectionPool, loadBalancer, outlierDetection, tls) then replace the rule's one by one, unless the subset has
 * an entry for the port, which again replaces all four. proxyProtocol and retryBudget are the policy's whole
 * (port-level settings have neither), a subset's own replacing the rule's.
 */
import type { Config, MeshTls } from '../../model/types.js';
import { asArray, asObject } from '../../model/selectors.js';
import { type Json, DEFAULT_CONNECT_TIMEOUT_MS, UINT32_MAX, adsSource, any, toDuration } from './common.js';
import { caSdsName, credentialSdsName } from './credentials.js';
import { isPublicCaCredential } from '../../model/gateway-api-backendtls.js';
import { duration } from '../proto.js';
import { originationParams } from './tls-params.js';
import { SYSTEM_CA_BUNDLE } from '../../core/constants.js';

const GROUPS = ['connectionPool', 'loadBalancer', 'outlierDetection', 'tls'] as const;
/** The fields of a TrafficPolicy that port-level settings cannot set (they keep the policy's, as in istiod). */
const WHOLE = ['proxyProtocol', 'retryBudget'] as const;
export type TrafficPolicy = Partial<Record<(typeof GROUPS)[number] | (typeof WHOLE)[number], Json>>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first portLevelSettings entry of a TrafficPolicy for the port (istiod stops at the first). */
function portEntry(policy: unknown, port: number): Json | undefined {
  return asArray(asObject(policy).portLevelSettings).map(asObject).find((pl) => asObject(pl.port).number === port);
}

/** The groups of a TrafficPolicy for a port, and whether a port-level entry supplied them. */
function atPort(policy: unknown, port: number): { groups: TrafficPolicy; portLevel: boolean } {
  const entry = portEntry(policy, port);
  const from = entry ?? asObject(policy);
  const groups: TrafficPolicy = {};
  for (const g of GROUPS) if (isObject(from[g])) groups[g] = from[g];
  return { groups, portLevel: entry !== undefined };
}

/** A TrafficPolicy's fields that port-level settings cannot set (WHOLE), those it has. */
function wholeOf(policy: unknown): TrafficPolicy {
  const out: TrafficPolicy = {};
  for (const f of WHOLE) if (isObject(asObject(policy)[f])) out[f] = asObject(policy)[f] as Json;
  return out;
}

/** The effective policy for a port and (optionally) a subset of a DestinationRule. */
export function effectivePolicy(dr: Config | undefined, port: number, subset?: string): TrafficPolicy {
  if (!dr) return {};
  const top = { ...atPort(dr.spec?.trafficPolicy, port).groups, ...wholeOf(dr.spec?.trafficPolicy) };
  if (!subset) return top;
  const s = asArray(dr.spec?.subsets).map(asObject).find((x) => x.name === subset);
  if (!s || !isObject(s.trafficPolicy)) return top;
  const own = atPort(s.trafficPolicy, port);
  const pp = { ...wholeOf(dr.spec?.trafficPolicy), ...wholeOf(s.trafficPolicy) };
  return own.portLevel ? { ...own.groups, ...pp } : { ...top, ...own.groups, ...pp };
}

const consistentHash = (policy: unknown): Json | undefined => {
  const ch = asObject(asObject(policy).loadBalancer).consistentHash;
  return isObject(ch) ? ch : undefined;
};

/**
 * The consistentHash a VirtualService destination hashes with, by istiod's own precedence for routes
 * (hashForHTTPDestination), which is not the clusters' merge: the subset's entry for the port, the subset's
 * policy, the rule's entry for the port, the rule's policy, the first that hashes. Port-level entries count only
 * when the destination names its port.
 */
export function destinationConsistentHash(dr: Config | undefined, subset: string, explicitPort: number | undefined): Json | undefined {
  if (!dr) return undefined;
  const top = dr.spec?.trafficPolicy;
  const s = subset ? asArray(dr.spec?.subsets).map(asObject).find((x) => x.name === subset) : undefined;
  const at = (policy: unknown): Json | undefined => (explicitPort === undefined ? undefined : consistentHash(portEntry(policy, explicitPort)));
  return (s && (at(s.trafficPolicy) ?? consistentHash(s.trafficPolicy))) ?? at(top) ?? consistentHash(top);
}

/** The consistentHash of a service's default route (istiod's hashForService): the rule's entry for the port if it hashes, else the rule's. */
export function serviceConsistentHash(dr: Config | undefined, port: number): Json | undefined {
  if (!dr) return undefined;
  return consistentHash(portEntry(dr.spec?.trafficPolicy, port)) ?? consistentHash(dr.spec?.trafficPolicy);
}

/**
 * tcp_proxy timeouts from the DestinationRule of a TCP route's (first) destination, as istiod's
 * buildOutboundNetworkFilters: the rule's top-level tcp.idleTimeout (Envoy's default: 1 hour) and
 * maxConnectionDuration; port-level and subset settings are not read there.
 */
export function tcpProxyTimeouts(dr: Config | undefined): Json {
  const tcp = asObject(asObject(asObject(dr?.spec?.trafficPolicy).connectionPool).tcp);
  const idle = toDuration(tcp.idleTimeout);
  const max = toDuration(tcp.maxConnectionDuration);
  return { ...(idle ? { idle_timeout: idle } : {}), ...(max ? { max_downstream_connection_duration: max } : {}) };
}

/** Subsets of a DestinationRule: name → labels (malformed entries skipped). */
export function subsetsOf(dr: Config | undefined): Array<{ name: string; labels: Record<string, string> }> {
  if (!dr) return [];
  const out: Array<{ name: string; labels: Record<string, string> }> = [];
  const seen = new Set<string>();
  for (const raw of asArray(dr.spec?.subsets)) {
    const s = asObject(raw);
    if (typeof s.name !== 'string' || s.name === '' || seen.has(s.name)) continue;
    seen.add(s.name);
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(asObject(s.labels))) if (typeof v === 'string') labels[k] = v;
    out.push({ name: s.name, labels });
  }
  return out;
}

const u32 = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= UINT32_MAX ? v : undefined);

/**
 * retryBudget: retries limited to a share of the active requests (Envoy then ignores max_retries), with istiod's
 * defaults: 20 %, and at least 3 retries at once. budgetInterval is not set: the Envoy API mizzen builds against has
 * no such field (validation warns).
 */
function retryBudget(b: Json): Json {
  const percent = typeof b.percent === 'number' && b.percent >= 0 && b.percent <= 100 ? b.percent : 20;
  return { budget_percent: { value: percent }, min_retry_concurrency: { value: positive(b.minRetryConcurrency) ?? 3 } };
}

/**
 * What a connection pool (and retryBudget) sets on a cluster, as istiod's applyConnectionPool, which inbound
 * clusters take too: the connect timeout, the circuit breakers (zero or negative counts are "unset", a FIXME in
 * istiod that cannot tell them apart, and keep the unlimited defaults: an explicit 0 would refuse every connection
 * or retry), TCP keepalive, and the upstream HTTP options (httpProtocolOptions; `upgrade`: whether h2UpgradePolicy
 * applies, outbound only).
 */
export function connectionPoolFields(
  policy: Pick<TrafficPolicy, 'connectionPool' | 'retryBudget'>,
  http2: boolean,
  sniffed: boolean,
  upgrade = true,
  connectMs = DEFAULT_CONNECT_TIMEOUT_MS,
): { connect_timeout: Json; circuit_breakers: Json; upstream_connection_options?: Json; httpOptions?: Json } {
  const tcp = asObject(policy.connectionPool?.tcp);
  const httpPool = asObject(policy.connectionPool?.http);
  const circuit_breakers = {
    thresholds: [
      {
        max_connections: { value: positive(tcp.maxConnections) ?? UINT32_MAX },
        max_pending_requests: { value: positive(httpPool.http1MaxPendingRequests) ?? UINT32_MAX },
        max_requests: { value: positive(httpPool.http2MaxRequests) ?? UINT32_MAX },
        max_retries: { value: positive(httpPool.maxRetries) ?? UINT32_MAX },
        ...(policy.retryBudget ? { retry_budget: retryBudget(policy.retryBudget) } : {}),
        track_remaining: true,
      },
    ],
  };
  const keepalive = tcpKeepalive(tcp.tcpKeepalive);
  const httpOptions = httpProtocolOptions(upgrade ? asObject(policy.connectionPool) : withoutUpgrade(asObject(policy.connectionPool)), http2, sniffed);
  return {
    connect_timeout: toDuration(tcp.connectTimeout) ?? duration(connectMs),
    circuit_breakers,
    ...(keepalive ? { upstream_connection_options: { tcp_keepalive: keepalive } } : {}),
    ...(httpOptions ? { httpOptions } : {}),
  };
}

/** A connection pool without http.h2UpgradePolicy (which inbound clusters do not apply). */
const withoutUpgrade = (pool: Json): Json => (isObject(pool.http) && 'h2UpgradePolicy' in pool.http ? { ...pool, http: { ...pool.http, h2UpgradePolicy: undefined } } : pool);

/**
 * Cluster fields from a policy. `http2` = the upstream speaks HTTP/2 (gRPC, HTTP2 ports); `sniffed` = the port's
 * protocol is sniffed, so HTTP requests go upstream in the protocol they came in (istiod's setUpstreamProtocol);
 * `sds` = the proxy can prove its identity (a gateway, a sidecar with mesh certificates): it takes a tls
 * credentialName by SDS (credentials.ts); `connectMs` = the mesh's connectTimeout, where the policy sets none;
 * `tlsDefaults` = the mesh's, for TLS origination (tls-params.ts).
 */
export function clusterPolicyFields(policy: TrafficPolicy, http2: boolean, sniffed = false, sds = false, connectMs = DEFAULT_CONNECT_TIMEOUT_MS, tlsDefaults?: MeshTls): Json {
  const out: Json = {};
  const pool = connectionPoolFields(policy, http2, sniffed, true, connectMs);
  out.connect_timeout = pool.connect_timeout;

  const lb = asObject(policy.loadBalancer);
  // Istio's default balancer is LEAST_REQUEST, not Envoy's ROUND_ROBIN: with no rule, no `simple`, or an unknown
  // one. ORIGINAL_DST clusters replace it with CLUSTER_PROVIDED (clusters.ts).
  switch (lb.simple) {
    case 'RANDOM':
      out.lb_policy = 'RANDOM';
      break;
    case 'ROUND_ROBIN':
      out.lb_policy = 'ROUND_ROBIN';
      break;
    default:
      out.lb_policy = 'LEAST_REQUEST';
  }
  const ch = asObject(lb.consistentHash);
  if (Object.keys(ch).length > 0) {
    if (ch.maglev && typeof ch.maglev === 'object') {
      out.lb_policy = 'MAGLEV';
      const size = u32(asObject(ch.maglev).tableSize);
      if (size) out.maglev_lb_config = { table_size: { value: size } };
    } else {
      out.lb_policy = 'RING_HASH';
      const min = u32(asObject(ch.ringHash).minimumRingSize) ?? u32(ch.minimumRingSize);
      if (min) out.ring_hash_lb_config = { minimum_ring_size: { value: min } };
    }
  }
  // warmup (or the older warmupDurationSecs): new endpoints get a growing share of the requests (slow start).
  const slowStart = slowStartOf(lb);
  if (slowStart && out.lb_policy === 'ROUND_ROBIN') out.round_robin_lb_config = { slow_start_config: slowStart };
  if (slowStart && out.lb_policy === 'LEAST_REQUEST') out.least_request_lb_config = { slow_start_config: slowStart };
  const common: Json = {};
  const locality = asObject(lb.localityLbSetting);
  if (Object.keys(locality).length > 0 && locality.enabled !== false) common.locality_weighted_lb_config = {};
  // With outlier detection, istiod sets the panic threshold even when minHealthPercent is unset: 0 turns Envoy's
  // panic mode (all hosts, healthy or not, once under 50% are healthy) off.
  if (policy.outlierDetection !== undefined) {
    const minHealth = asObject(policy.outlierDetection).minHealthPercent;
    if (typeof minHealth !== 'number' || minHealth >= 0) common.healthy_panic_threshold = { value: typeof minHealth === 'number' && minHealth <= 100 ? minHealth : 0 };
  }
  if (Object.keys(common).length > 0) out.common_lb_config = common;

  out.circuit_breakers = pool.circuit_breakers;

  const od = policy.outlierDetection;
  if (od !== undefined) out.outlier_detection = outlierDetection(asObject(od));

  if (pool.upstream_connection_options) out.upstream_connection_options = pool.upstream_connection_options;

  const tlsSettings = asObject(policy.tls);
  const tls = tlsTransportSocket(tlsSettings, sds, tlsDefaults);
  if (tls) out.transport_socket = tls;
  // proxyProtocol: a PROXY protocol header before the bytes of each upstream connection (around TLS, if any).
  const ppVersion = asObject(policy.proxyProtocol).version;
  if (ppVersion === 'V1' || ppVersion === 'V2') {
    out.transport_socket = {
      name: 'envoy.transport_sockets.upstream_proxy_protocol',
      typed_config: any('envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport', {
        config: { version: ppVersion },
        transport_socket: tls ?? { name: 'envoy.transport_sockets.raw_buffer', typed_config: any('envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer') },
      }),
    };
  }

  let options = pool.httpOptions;
  // TLS without an explicit sni: the SNI is the request's host, and the server's certificate must name it (unless
  // subjectAltNames or insecureSkipVerify say otherwise), as istiod's setAutoSniAndAutoSanValidation.
  if (tls && !(typeof tlsSettings.sni === 'string' && tlsSettings.sni)) {
    const sans = asArray(tlsSettings.subjectAltNames).length > 0;
    options ??= { explicit_http_config: http2 ? { http2_protocol_options: {} } : { http_protocol_options: {} } };
    options.upstream_http_protocol_options = { auto_sni: true, ...(!sans && tlsSettings.insecureSkipVerify !== true ? { auto_san_validation: true } : {}) };
  }
  if (options) {
    out.typed_extension_protocol_options = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': any('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', options),
    };
  }
  return out;
}

/**
 * Envoy's slow start from a LoadBalancerSettings, as istiod's setWarmup: the window, aggression 1 (linear) and a
 * minimum weight of 10% unless said; the older warmupDurationSecs gives the window alone.
 */
function slowStartOf(lb: Json): Json | undefined {
  const warmup = asObject(lb.warmup);
  const window = toDuration(warmup.duration);
  if (window) {
    const aggression = typeof warmup.aggression === 'number' && warmup.aggression > 0 ? warmup.aggression : 1;
    const min = typeof warmup.minimumPercent === 'number' && warmup.minimumPercent >= 0 && warmup.minimumPercent <= 100 ? warmup.minimumPercent : 10;
    // The runtime key is istiod's: a fixed value, never looked up.
    return { slow_start_window: window, aggression: { default_value: aggression, runtime_key: '(' }, min_weight_percent: { value: min } };
  }
  const legacy = toDuration(lb.warmupDurationSecs);
  return legacy ? { slow_start_window: legacy } : undefined;
}

const positive = (v: unknown): number | undefined => {
  const n = u32(v);
  return n !== undefined && n > 0 ? n : undefined;
};

/** tcp.tcpKeepalive → Envoy's TcpKeepalive (time and interval in whole seconds), as istiod's applyTCPKeepalive. */
function tcpKeepalive(v: unknown): Json | undefined {
  if (!isObject(v)) return undefined;
  const out: Json = {};
  const probes = positive(v.probes);
  if (probes) out.keepalive_probes = { value: probes };
  const time = toDuration(v.time);
  if (time) out.keepalive_time = { value: Math.min(time.seconds, UINT32_MAX) };
  const interval = toDuration(v.interval);
  if (interval) out.keepalive_interval = { value: Math.min(interval.seconds, UINT32_MAX) };
  return out;
}

/**
 * The upstream HTTP protocol options, in istiod's order (setUpstreamProtocol, applyH2Upgrade, applyConnectionPool):
 * HTTP/2 for HTTP/2 ports or on h2UpgradePolicy UPGRADE; the connection options (idle timeout from http, else
 * tcp; tcp.maxConnectionDuration; positive maxRequestsPerConnection; maxConcurrentStreams and http2KeepAlive on
 * HTTP/2); useClientProtocol, or a sniffed port without HTTP/2 asked for, then lets each request's own protocol
 * decide. undefined when nothing is set.
 */
function httpProtocolOptions(pool: Json, http2: boolean, sniffed: boolean): Json | undefined {
  const tcp = asObject(pool.tcp);
  const http = asObject(pool.http);
  const h2 = http2 || http.h2UpgradePolicy === 'UPGRADE';
  const common: Json = {};
  const idle = toDuration(http.idleTimeout) ?? toDuration(tcp.idleTimeout);
  if (idle) common.idle_timeout = idle;
  const maxRequests = positive(http.maxRequestsPerConnection);
  if (maxRequests) common.max_requests_per_connection = { value: maxRequests };
  const maxDuration = toDuration(tcp.maxConnectionDuration);
  if (maxDuration) common.max_connection_duration = maxDuration;
  const streams = positive(http.maxConcurrentStreams);
  const h2Options: Json = {};
  if (h2 && streams) h2Options.max_concurrent_streams = { value: streams };
  const ka = asObject(http.http2KeepAlive);
  const [interval, timeout] = [toDuration(ka.interval), toDuration(ka.timeout)];
  if (h2 && interval && timeout) h2Options.connection_keepalive = { interval, timeout };
  const connectionOptions = Object.keys(common).length > 0 || streams !== undefined || (interval && timeout);
  const downstream = http.useClientProtocol === true || (sniffed && !h2);
  if (!h2 && !connectionOptions && !downstream) return undefined;
  return {
    ...(connectionOptions ? { common_http_protocol_options: common } : {}),
    ...(downstream
      ? { use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} } }
      : { explicit_http_config: h2 ? { http2_protocol_options: h2Options } : { http_protocol_options: {} } }),
  };
}

/** A DestinationRule's outlierDetection (present, even empty) → Envoy's, as istiod's applyOutlierDetection. */
function outlierDetection(od: Json): Json {
  const out: Json = {};
  const c5xx = u32(od.consecutive5xxErrors) ?? u32(asObject(od.consecutive5xxErrors).value) ?? u32(od.consecutiveErrors);
  if (c5xx !== undefined) {
    out.consecutive_5xx = { value: c5xx };
    out.enforcing_consecutive_5xx = { value: c5xx > 0 ? 100 : 0 };
  }
  const gw = u32(od.consecutiveGatewayErrors) ?? u32(asObject(od.consecutiveGatewayErrors).value);
  if (gw !== undefined) {
    out.consecutive_gateway_failure = { value: gw };
    out.enforcing_consecutive_gateway_failure = { value: gw > 0 ? 100 : 0 };
  }
  const local = u32(od.consecutiveLocalOriginFailures) ?? u32(asObject(od.consecutiveLocalOriginFailures).value);
  if (od.splitExternalLocalOriginErrors === true) {
    out.split_external_local_origin_errors = true;
    // 0 or unset keeps Envoy's default (5 failures, enforced), as in istiod.
    if (local !== undefined && local > 0) {
      out.consecutive_local_origin_failure = { value: local };
      out.enforcing_consecutive_local_origin_failure = { value: 100 };
    }
    out.enforcing_local_origin_success_rate = { value: 0 };
  }
  const interval = toDuration(od.interval);
  if (interval && (interval.seconds > 0 || interval.nanos > 0)) out.interval = interval;
  const base = toDuration(od.baseEjectionTime);
  if (base && (base.seconds > 0 || base.nanos > 0)) out.base_ejection_time = base;
  // 0 is "unset" to istiod, which then leaves Envoy's 10% (0 would turn ejection off).
  if (typeof od.maxEjectionPercent === 'number' && od.maxEjectionPercent >= 1 && od.maxEjectionPercent <= 100) out.max_ejection_percent = { value: Math.floor(od.maxEjectionPercent) };
  // Istio turns success-rate ejection off; only the consecutive-error detectors apply.
  out.enforcing_success_rate = { value: 0 };
  return out;
}

export const fileSource = (v: unknown): Json | undefined => (typeof v === 'string' && v !== '' ? { filename: v } : undefined);

/**
 * A validation context of Istio's TLS settings with files, either direction (DestinationRule tls, Gateway server
 * tls): peers are checked against the CA bundle `ca`, and against tls.caCrl and tls.subjectAltNames when given.
 */
export function fileValidationContext(ca: Json, tls: Json): Json {
  const sans = subjectAltNameMatchers(tls);
  const crl = fileSource(tls.caCrl);
  return { trusted_ca: ca, ...(sans.length ? { match_typed_subject_alt_names: sans } : {}), ...(crl ? { crl } : {}) };
}

/** Envoy's SAN matchers for tls.subjectAltNames (SPIFFE ids as URIs, the rest as DNS names). */
export function subjectAltNameMatchers(tls: Json): Json[] {
  const sans = asArray(tls.subjectAltNames).filter((s): s is string => typeof s === 'string' && s !== '');
  return sans.map((san) => ({ san_type: san.startsWith('spiffe://') ? 'URI' : 'DNS', matcher: { exact: san } }));
}
export { SYSTEM_CA_BUNDLE } from '../../core/constants.js';

/**
 * TLS origination from a DestinationRule, as istiod writes it: SIMPLE, and MUTUAL with a client certificate. With
 * files in the proxy's file system (clientCertificate and privateKey), the server certificate is checked against
 * caCertificates, or the system's CAs without them (and caCrl, and the subjectAltNames, when given). On a proxy that
 * can prove its identity (`sds`: a gateway, a sidecar with mesh certificates) a credentialName names them instead:
 * the client certificate `kubernetes://<name>` and the CA `kubernetes://<name>-cacert`, by SDS. insecureSkipVerify
 * turns the check off. ISTIO_MUTUAL is mesh mTLS (mtls.ts); elsewhere a credentialName is not served (validation
 * warns): MUTUAL stays plaintext, SIMPLE checks the server against the system's CAs. TLS 1.2 to 1.3, with the
 * mesh's tlsDefaults curves and cipher suites (tls-params.ts).
 */
function tlsTransportSocket(tls: Json, sds: boolean, defaults: MeshTls | undefined): Json | undefined {
  if (tls.mode !== 'SIMPLE' && tls.mode !== 'MUTUAL') return undefined;
  // A CA anyone may read (a ConfigMap's ca.crt, or `invalid://`, never served: the handshake fails): by SDS to any proxy.
  if (tls.mode === 'SIMPLE' && typeof tls.credentialName === 'string' && isPublicCaCredential(tls.credentialName)) return upstreamTls(tls, publicCaTls(tls, tls.credentialName), defaults);
  if (sds && typeof tls.credentialName === 'string' && tls.credentialName) return upstreamTls(tls, credentialTls(tls, tls.credentialName), defaults);
  const common: Json = {};
  if (tls.mode === 'MUTUAL') {
    const chain = fileSource(tls.clientCertificate);
    const key = fileSource(tls.privateKey);
    if (!chain || !key) return undefined; // a credentialName instead: not served to sidecars
    common.tls_certificates = [{ certificate_chain: chain, private_key: key }];
  }
  // Without caCertificates the system's CAs check the server, as istiod does (VERIFY_CERTIFICATE_AT_CLIENT).
  const ca = fileSource(tls.caCertificates) ?? { filename: SYSTEM_CA_BUNDLE };
  if (tls.insecureSkipVerify !== true) common.validation_context = fileValidationContext(ca, tls);
  return upstreamTls(tls, common, defaults);
}

/** The common TLS context of a public CA credential: the server checked against it by SDS, never skipped. */
const publicCaTls = (tls: Json, name: string): Json => {
  const sans = subjectAltNameMatchers(tls);
  return { combined_validation_context: { default_validation_context: sans.length ? { match_typed_subject_alt_names: sans } : {}, validation_context_sds_secret_config: { name, sds_config: adsSource() } } };
};

/** The common TLS context of a credentialName: the certificate (MUTUAL) and the CA by SDS. */
function credentialTls(tls: Json, name: string): Json {
  const common: Json = {};
  if (tls.mode === 'MUTUAL') common.tls_certificate_sds_secret_configs = [{ name: credentialSdsName(name), sds_config: adsSource() }];
  if (tls.insecureSkipVerify !== true) {
    const sans = subjectAltNameMatchers(tls);
    common.combined_validation_context = {
      default_validation_context: sans.length ? { match_typed_subject_alt_names: sans } : {},
      validation_context_sds_secret_config: { name: caSdsName(name), sds_config: adsSource() },
    };
  }
  return common;
}

const upstreamTls = (tls: Json, common: Json, defaults: MeshTls | undefined): Json => ({
  name: 'envoy.transport_sockets.tls',
  typed_config: any('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', {
    ...(typeof tls.sni === 'string' && tls.sni ? { sni: tls.sni } : {}),
    common_tls_context: { tls_params: originationParams(defaults), ...common },
  }),
});

/** RouteAction.hash_policy for a consistentHash setting; undefined when it names nothing to hash on. */
export function hashPolicy(consistent: Json | undefined): Json[] | undefined {
  const ch = asObject(consistent);
  if (typeof ch.httpHeaderName === 'string' && ch.httpHeaderName) return [{ header: { header_name: ch.httpHeaderName } }];
  const cookie = asObject(ch.httpCookie);
  if (typeof cookie.name === 'string' && cookie.name) {
    const ttl = toDuration(cookie.ttl);
    // Attributes of the cookie Envoy sets when the request has none (SameSite, Secure …), as Istio passes them.
    const attributes = asArray(cookie.attributes)
      .map(asObject)
      .filter((a) => typeof a.name === 'string' && a.name !== '')
      .map((a) => ({ name: a.name as string, ...(typeof a.value === 'string' && a.value ? { value: a.value } : {}) }));
    return [{ cookie: { name: cookie.name, ...(ttl ? { ttl } : {}), ...(typeof cookie.path === 'string' && cookie.path ? { path: cookie.path } : {}), ...(attributes.length ? { attributes } : {}) } }];
  }
  if (ch.useSourceIp === true) return [{ connection_properties: { source_ip: true } }];
  if (typeof ch.httpQueryParameterName === 'string' && ch.httpQueryParameterName) return [{ query_parameter: { name: ch.httpQueryParameterName } }];
  return undefined;
}
