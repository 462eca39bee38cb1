/**
 * Envoy's protos, loaded once from the copies @grpc/grpc-js-xds ships under deps/ (never hand-copied).
 * Field names stay snake_case (keepCase), as in Envoy's docs and JSON config; `google.protobuf.Any`
 * values are written `{ '@type': typeUrl, ...fields }`, Durations `{ seconds, nanos }`.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

/** Directory of the proto roots (envoy-api, xds, googleapis, protoc-gen-validate). */
export const PROTO_DEPS_DIR = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
export const PROTO_INCLUDE_DIRS = [
  ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(PROTO_DEPS_DIR, d)),
  // google/protobuf/descriptor.proto and friends ship with protobufjs itself.
  dirname(require.resolve('protobufjs/package.json')),
];

/** Every proto the generators may put on the wire (directly or inside an Any). */
export const ENVOY_PROTO_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/service/status/v3/csds.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/transport_sockets/proxy_protocol/v3/upstream_proxy_protocol.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/clusters/dynamic_forward_proxy/v3/cluster.proto',
  'envoy/extensions/filters/http/dynamic_forward_proxy/v3/dynamic_forward_proxy.proto',
  'envoy/extensions/filters/network/sni_dynamic_forward_proxy/v3/sni_dynamic_forward_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/network/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  'envoy/extensions/filters/http/health_check/v3/health_check.proto',
  'envoy/extensions/filters/http/grpc_stats/v3/config.proto',
  'envoy/extensions/filters/http/wasm/v3/wasm.proto',
  'envoy/extensions/filters/network/wasm/v3/wasm.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/proxy_protocol/v3/proxy_protocol.proto',
  'envoy/extensions/http/header_formatters/preserve_case/v3/preserve_case.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto',
  'envoy/extensions/load_balancing_policies/round_robin/v3/round_robin.proto',
  'envoy/extensions/load_balancing_policies/wrr_locality/v3/wrr_locality.proto',
  'envoy/extensions/load_balancing_policies/least_request/v3/least_request.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/filters/cel/v3/cel.proto',
  'envoy/extensions/access_loggers/grpc/v3/als.proto',
  'envoy/extensions/request_id/uuid/v3/uuid.proto',
  'envoy/config/trace/v3/zipkin.proto',
  'envoy/config/trace/v3/opentelemetry.proto',
  'envoy/extensions/tracers/opentelemetry/resource_detectors/v3/environment_resource_detector.proto',
  'envoy/config/rbac/v3/rbac.proto',
  'envoy/type/matcher/v3/string.proto',
  'google/protobuf/wrappers.proto',
  'google/protobuf/duration.proto',
  'google/protobuf/struct.proto',
  'google/protobuf/any.proto',
  'google/rpc/status.proto',
];

let root: protobuf.Root | undefined;

/** The protobufjs Root with every Envoy proto above, loaded on first use. */
export function envoyRoot(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => {
    for (const dir of PROTO_INCLUDE_DIRS) {
      const p = join(dir, target);
      if (existsSync(p)) return p;
    }
    return target;
  };
  r.loadSync(ENVOY_PROTO_FILES, { keepCase: true });
  r.resolveAll();
  root = r;
  return r;
}

/** `type.googleapis.com/envoy.config.cluster.v3.Cluster` → the message type. Throws for an unknown type (a bug). */
export function typeFor(typeUrlOrName: string): protobuf.Type {
  const name = typeUrlOrName.slice(typeUrlOrName.lastIndexOf('/') + 1);
  return envoyRoot().lookupType(name);
}

let protoIndex: Map<string, string> | undefined;

/** Every top-level message of the shipped protos (`envoy.extensions.filters.http.lua.v3.Lua`) → its file, relative to a root. */
function shippedMessages(): Map<string, string> {
  if (protoIndex) return protoIndex;
  const index = new Map<string, string>();
  const walk = (root: string, rel: string): void => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(root, path);
      else if (entry.name.endsWith('.proto')) {
        const text = readFileSync(join(root, path), 'utf8');
        const pkg = /^package\s+([\w.]+)\s*;/m.exec(text)?.[1];
        if (!pkg) continue;
        for (const m of text.matchAll(/^message\s+(\w+)/gm)) if (!index.has(`${pkg}.${m[1]}`)) index.set(`${pkg}.${m[1]}`, path);
      }
    }
  };
  for (const dir of PROTO_INCLUDE_DIRS.slice(0, -1)) if (existsSync(dir)) walk(dir, '');
  return (protoIndex = index);
}

/**
 * The message type of a full name or type URL, loading its file from the shipped protos when the generators never
 * needed it (an extension a user names, e.g. in an EnvoyFilter); undefined when no shipped proto defines it.
 */
export function findType(typeUrlOrName: string): protobuf.Type | undefined {
  const name = typeUrlOrName.slice(typeUrlOrName.lastIndexOf('/') + 1).replace(/^\./, '');
  const r = envoyRoot();
  const known = r.lookup(name);
  if (known instanceof protobuf.Type) return known;
  const file = shippedMessages().get(name);
  if (!file) return undefined;
  r.loadSync(file, { keepCase: true });
  r.resolveAll();
  const loaded = r.lookup(name);
  return loaded instanceof protobuf.Type ? loaded : undefined;
}

/** Encodes a plain object (snake_case fields) as the given message type. */
export function encode(typeUrl: string, message: object): Uint8Array {
  const t = typeFor(typeUrl);
  return t.encode(t.fromObject(message)).finish();
}

/** Decodes bytes of the given type back to a plain object (enums as names, longs as numbers, Any as `@type`). */
export function decode(typeUrl: string, bytes: Uint8Array): Record<string, unknown> {
  const t = typeFor(typeUrl);
  return t.toObject(t.decode(bytes), { enums: String, longs: Number, defaults: false, json: true }) as Record<string, unknown>;
}

/** A google.protobuf.Any ready for a DiscoveryResponse: { type_url, value }. */
export function toAny(typeUrl: string, message: object): { type_url: string; value: Uint8Array } {
  return { type_url: typeUrl, value: encode(typeUrl, message) };
}

/** A Duration from milliseconds. */
export function duration(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Parses Istio/protobuf duration strings ("1.5s", "100ms", "2m", "1h") to milliseconds; undefined when malformed. */
export function parseDurationMs(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns)$/.exec(s.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
  return n * unit[m[2]!]!;
}
