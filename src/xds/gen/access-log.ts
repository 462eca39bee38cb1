/**
 * Envoy access logs from the mesh config (accessLogFile, accessLogEncoding), as Istio's: every HTTP connection
 * manager logs a line per request and every tcp_proxy a line per connection, to the file (e.g. /dev/stdout, which
 * `kubectl logs <pod> -c istio-proxy` shows). TEXT is Envoy's default line; JSON has one field per value below.
 * Applied to the listeners once they are generated, so no generator needs to know. Pure.
 */
import type { MeshSettings } from '../../model/types.js';
import type { NamedResource } from './types.js';
import { type Json, any } from './common.js';
import { HCM_FILTER, TCP_PROXY_FILTER, mapNetworkFilters } from './filters.js';

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

/** google.protobuf.Struct as the encoder (protobufjs) takes it: `fields`, and Values by their camelCase kind. */
const struct = (fields: Record<string, string>): Json => ({ fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { stringValue: v }])) });

function accessLog(log: NonNullable<MeshSettings['accessLog']>): Json {
  return {
    name: 'envoy.access_loggers.file',
    typed_config: any('envoy.extensions.access_loggers.file.v3.FileAccessLog', {
      path: log.path,
      ...(log.encoding === 'JSON' ? { log_format: { json_format: struct(JSON_FIELDS) } } : {}),
    }),
  };
}

const LOGGED = new Set([HCM_FILTER, TCP_PROXY_FILTER]);

/** The listeners with the access log on each connection manager and tcp_proxy; as they were without one. */
export function withAccessLogs(listeners: NamedResource[], log: MeshSettings['accessLog']): NamedResource[] {
  if (!log) return listeners;
  const entry = accessLog(log);
  return mapNetworkFilters(listeners, (filter) =>
    LOGGED.has(filter?.name) && typeof filter.typed_config === 'object' ? { ...filter, typed_config: { ...filter.typed_config, access_log: [entry] } } : filter,
  );
}
