/**
 * Envoy access logs, as Istio's: a connection manager logs a line per request and a tcp_proxy a line per
 * connection, to a file (e.g. /dev/stdout, which `kubectl logs <pod> -c istio-proxy` shows), or streams them to an
 * Envoy gRPC access log service (envoyHttpAls: requests, envoyTcpAls: connections). Which logs: the mesh config's
 * accessLogFile/accessLogEncoding and enableEnvoyAccessLogService, unless a Telemetry resource or defaultProviders say
 * otherwise (telemetry.ts). The listeners istiod gives a listener-level log (telemetry.ts says which) log the same way
 * what no filter chain took, each logger narrowed to connections Envoy flagged NR (listenerLog).
 * TEXT is Envoy's default line; JSON has one field per value below. Pure.
 */
import type { MeshSettings, TelemetryProvider } from '../../model/types.js';
import { type Json, any } from './common.js';

/** The JSON line: Envoy command operators by field name. */
const JSON_FIELDS: Record<string, string> = {
  start_time: '%START_TIME%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  duration: '%DURATION%',
  upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
  user_agent: '%REQ(USER-AGENT)%',
  request_id: '%REQ(X-REQUEST-ID)%',
  authority: '%REQ(:AUTHORITY)%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  downstream_local_address: '%DOWNSTREAM_LOCAL_ADDRESS%',
};

/** A google.protobuf.Value as the encoder (protobufjs) takes it: Values by their camelCase kind. */
function value(v: unknown): Json {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(value) } };
  if (typeof v === 'object' && v !== null) return { structValue: struct(v as Record<string, unknown>) };
  return { nullValue: 'NULL_VALUE' };
}
/** google.protobuf.Struct as the encoder takes it. */
const struct = (fields: Record<string, unknown>): Json => ({ fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, value(v)])) });

/** An access logger; with a CEL expression, it logs only what that selects (Istio's Telemetry accessLogging filter). */
const logger = (name: string, typed_config: Json, expression?: string): Json => ({
  name,
  ...(expression
    ? { filter: { extension_filter: { name: 'envoy.access_loggers.extension_filters.cel', typed_config: any('envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', { expression }) } } }
    : {}),
  typed_config,
});

const fileLog = (path: string, logFormat: Json | undefined, expression?: string): Json =>
  logger('envoy.access_loggers.file', any('envoy.extensions.access_loggers.file.v3.FileAccessLog', { path, ...(logFormat ? { log_format: logFormat } : {}) }), expression);

/** The mesh config's access log (its accessLogFormat, else the encoding's default); undefined without accessLogFile. */
export function meshAccessLog(log: MeshSettings['accessLog']): Json | undefined {
  if (!log) return undefined;
  const format = log.format;
  if (format && 'text' in format) return fileLog(log.path, { text_format_source: { inline_string: format.text } });
  return fileLog(log.path, log.encoding === 'JSON' ? { json_format: struct(format?.fields ?? JSON_FIELDS) } : undefined);
}

/** An envoyFileAccessLog provider's access log, with a Telemetry's filter expression when it has one. */
export function providerAccessLog(p: Extract<TelemetryProvider, { kind: 'file' }>, expression?: string): Json {
  const omit = p.omitEmptyValues ? { omit_empty_values: true } : {};
  // Envoy writes a text format as is: a line needs its newline (Istio adds it too).
  const format =
    p.text !== undefined
      ? { text_format_source: { inline_string: p.text.endsWith('\n') ? p.text : `${p.text}\n` }, ...omit }
      : p.labels !== undefined
        ? { json_format: struct(p.labels), ...omit }
        : undefined;
  return fileLog(p.path, format, expression);
}

/** Envoy's response flag for a connection that no filter chain of its listener matched. */
const noChain = (): Json => ({ response_flag_filter: { flags: ['NR'] } });

/**
 * A logger as a listener-level one: it logs only connections no filter chain took (flag NR; the chains' own loggers
 * log the others), and, when it has a filter of its own (a Telemetry's CEL expression), only those both let through.
 */
export function listenerLog(log: Json): Json {
  const { name, filter, typed_config } = log;
  return { name, filter: filter ? { and_filter: { filters: [noChain(), filter] } } : noChain(), typed_config };
}

type GrpcLog = Extract<TelemetryProvider, { kind: 'grpc-log' }>;

/** The bootstrap cluster of the legacy access log service (bootstrap/access-log-service.ts), which the proxy has when its ProxyConfig names envoyAccessLogService. */
const LEGACY_ALS_CLUSTER = 'envoy_accesslog_service';
/**
 * The filter state istiod's legacy loggers send along: the peer metadata Istio's metadata exchange leaves there.
 * mizzen's proxies set none of it, so nothing is sent today; the names keep the log entries as a receiver expects.
 */
const PEER_STATE = ['upstream_peer', 'downstream_peer', 'wasm.upstream_peer', 'wasm.upstream_peer_id', 'wasm.downstream_peer', 'wasm.downstream_peer_id'];
const legacy = (protocol: 'http' | 'tcp', logName: string): GrpcLog => ({ kind: 'grpc-log', protocol, service: '', port: 0, logName, filterStateObjects: PEER_STATE, requestHeaders: [], responseHeaders: [], responseTrailers: [] });
const LEGACY_HTTP = legacy('http', 'http_envoy_accesslog');
const LEGACY_TCP = legacy('tcp', 'tcp_envoy_accesslog');
const LEGACY_LISTENER = legacy('tcp', 'listener_envoy_accesslog');

/**
 * The loggers of the mesh config's enableEnvoyAccessLogService, as istiod's: connection managers stream each request
 * (log_name http_envoy_accesslog) and tcp_proxies each connection (tcp_envoy_accesslog) to envoy_accesslog_service,
 * and listeners the connections no filter chain took (a connection logger named listener_envoy_accesslog).
 * Envoy checks no cluster of a gRPC access logger when it takes the config: a proxy without that cluster just sends
 * nothing.
 */
export function legacyAlsLogs(): { http: Json; tcp: Json; listener: Json } {
  const collector = { cluster: LEGACY_ALS_CLUSTER };
  return { http: grpcAccessLog(LEGACY_HTTP, collector), tcp: grpcAccessLog(LEGACY_TCP, collector), listener: listenerLog(grpcAccessLog(LEGACY_LISTENER, collector)) };
}

/**
 * An envoyHttpAls or envoyTcpAls provider's access log: Envoy streams each request (connection manager) or each
 * connection (tcp_proxy) to the access log service at `collector` (its outbound cluster, which the proxy has).
 */
export function grpcAccessLog(p: GrpcLog, collector: { cluster: string; host?: string }, expression?: string): Json {
  const common_config = {
    log_name: p.logName,
    grpc_service: { envoy_grpc: { cluster_name: collector.cluster, ...(collector.host ? { authority: collector.host } : {}) } },
    transport_api_version: 'V3',
    ...(p.filterStateObjects.length ? { filter_state_objects_to_log: p.filterStateObjects } : {}),
  };
  if (p.protocol === 'tcp') return logger('envoy.access_loggers.tcp_grpc', any('envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig', { common_config }), expression);
  const headers = {
    ...(p.requestHeaders.length ? { additional_request_headers_to_log: p.requestHeaders } : {}),
    ...(p.responseHeaders.length ? { additional_response_headers_to_log: p.responseHeaders } : {}),
    ...(p.responseTrailers.length ? { additional_response_trailers_to_log: p.responseTrailers } : {}),
  };
  return logger('envoy.access_loggers.http_grpc', any('envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig', { common_config, ...headers }), expression);
}
