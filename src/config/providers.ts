/**
 * The mesh config's telemetry and authorization providers, as Istio's: `extensionProviders` (named Zipkin and
 * OpenTelemetry tracers, Envoy file access logs, Envoy gRPC access log services (envoyHttpAls, envoyTcpAls) and
 * external authorization services (ext-authz.ts), which mizzen generates; Istio's
 * other provider kinds, which it accepts and generates nothing for)
 * and `defaultProviders` (the providers that apply where no Telemetry resource names one). A user's providers are
 * merged by name onto the defaults (`prometheus`, `stackdriver`, and `envoy`: a file access log to /dev/stdout), so
 * the Telemetry resource of Istio's docs, `accessLogging: [{providers: [{name: envoy}]}]`, works as written.
 * Pure: checks and translation only.
 */
import { isObject } from '../core/object.js';
import { EXT_AUTHZ_KINDS, checkExtAuthz } from './ext-authz.js';
import { parseDuration } from '../validation/common.js';

export interface ZipkinProvider {
  /** The collector's Service: `name.namespace`, its FQDN, or a ServiceEntry host. */
  service: string;
  port: number;
  /** Longest value of a tag (e.g. the URL), in bytes; Envoy's default (256) when absent. */
  maxTagLength?: number;
  /** Where spans are posted; /api/v2/spans when absent. */
  path?: string;
  /** 64-bit trace ids instead of 128-bit ones. */
  enable64bitTraceId?: boolean;
}

export interface FileAccessLogProvider {
  path: string;
  /** `text`: an Envoy format string; `labels`: a JSON line with these fields (Envoy command operators as values). */
  logFormat?: { text?: string; labels?: Record<string, unknown>; omitEmptyValues?: boolean };
}

/** One `extensionProviders` entry: a name and exactly one provider kind. */
export interface ExtensionProvider {
  name: string;
  zipkin?: ZipkinProvider;
  envoyFileAccessLog?: FileAccessLogProvider;
  envoyHttpAls?: GrpcLogProvider;
  envoyTcpAls?: GrpcLogProvider;
  /** Istio's other provider kinds (prometheus, opentelemetry …) are kept as written and generate nothing. */
  [kind: string]: unknown;
}

/** An Envoy gRPC access log service (Istio's envoyHttpAls, envoyTcpAls). */
export interface GrpcLogProvider {
  /** `[<namespace>/]<host>`. */
  service: string;
  port: number;
  logName?: string;
  filterStateObjectsToLog?: string[];
  /** envoyHttpAls only. */
  additionalRequestHeadersToLog?: string[];
  additionalResponseHeadersToLog?: string[];
  additionalResponseTrailersToLog?: string[];
}

/** The gRPC access log provider kinds: HTTP requests, TCP connections. */
export const GRPC_LOG_KINDS = ['envoyHttpAls', 'envoyTcpAls'] as const;
export type GrpcLogKind = (typeof GRPC_LOG_KINDS)[number];

export interface DefaultProviders {
  tracing: string[];
  accessLogging: string[];
  metrics: string[];
}

/** Provider kinds mizzen turns into Envoy configuration. */
const GENERATED = new Set(['zipkin', 'envoyFileAccessLog', 'opentelemetry', ...GRPC_LOG_KINDS, ...EXT_AUTHZ_KINDS]);
/**
 * Istio's provider kinds that mizzen accepts and generates nothing for: no Istio metrics; no OpenTelemetry access
 * logs (Envoy's config for them embeds OpenTelemetry's own protos, which the Envoy protos mizzen encodes with lack).
 */
const ACCEPTED = new Set(['prometheus', 'stackdriver', 'skywalking', 'datadog', 'lightstep', 'envoyOtelAls', 'sds']);

export const DEFAULT_EXTENSION_PROVIDERS: readonly ExtensionProvider[] = [
  { name: 'prometheus', prometheus: {} },
  { name: 'stackdriver', stackdriver: {} },
  { name: 'envoy', envoyFileAccessLog: { path: '/dev/stdout' } },
];

const ZIPKIN_FIELDS = new Set(['service', 'port', 'maxTagLength', 'path', 'enable64bitTraceId']);
const FILE_FIELDS = new Set(['path', 'logFormat']);
const FORMAT_FIELDS = new Set(['text', 'labels', 'omitEmptyValues']);

const unknownFields = (o: Record<string, unknown>, known: ReadonlySet<string>, path: string, errors: string[]): void => {
  for (const k of Object.keys(o)) if (!known.has(k)) errors.push(`${path}.${k}: unknown field`);
};

function checkZipkin(z: unknown, path: string, errors: string[]): void {
  if (!isObject(z)) return void errors.push(`${path}: must be a mapping`);
  unknownFields(z, ZIPKIN_FIELDS, path, errors);
  if (typeof z.service !== 'string' || z.service === '') errors.push(`${path}.service: required, the collector's service host`);
  if (!Number.isInteger(z.port) || (z.port as number) < 1 || (z.port as number) > 65535) errors.push(`${path}.port: required, a port from 1 to 65535`);
  if (z.maxTagLength !== undefined && !(Number.isInteger(z.maxTagLength) && (z.maxTagLength as number) >= 0)) errors.push(`${path}.maxTagLength: must be a whole number, 0 or more`);
  if (z.path !== undefined && !(typeof z.path === 'string' && z.path.startsWith('/'))) errors.push(`${path}.path: must be a path starting with /`);
  if (z.enable64bitTraceId !== undefined && typeof z.enable64bitTraceId !== 'boolean') errors.push(`${path}.enable64bitTraceId: must be a boolean`);
}

const OTEL_FIELDS = new Set(['service', 'port', 'maxTagLength', 'http', 'grpc', 'resourceDetectors']);

/** Errors of a list of {name, value} headers (Istio's `envName`, a value from the proxy's environment, is not supported). */
function checkHeaders(v: unknown, path: string, errors: string[]): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) return void errors.push(`${path}: must be a list of {name, value}`);
  v.forEach((h, i) => {
    if (!isObject(h) || typeof h.name !== 'string' || h.name === '') return void errors.push(`${path}[${i}].name: required`);
    if (h.envName !== undefined) errors.push(`${path}[${i}].envName: not supported by mizzen (plain Envoy reads no environment for it): give a value`);
    else if (typeof h.value !== 'string') errors.push(`${path}[${i}].value: required, a string`);
    unknownFields(h, new Set(['name', 'value', 'envName']), `${path}[${i}]`, errors);
  });
}

function checkTimeout(v: unknown, path: string, errors: string[]): void {
  if (v === undefined) return;
  const ns = typeof v === 'string' ? parseDuration(v) : undefined;
  if (ns === undefined || ns <= 0n) errors.push(`${path}: must be a positive duration like 1s`);
}

function checkOtel(o: unknown, path: string, errors: string[]): void {
  if (!isObject(o)) return void errors.push(`${path}: must be a mapping`);
  for (const k of Object.keys(o)) {
    if (k === 'dynatraceSampler' || k === 'serviceAttributeEnrichment') errors.push(`${path}.${k}: not supported by mizzen`);
    else if (!OTEL_FIELDS.has(k)) errors.push(`${path}.${k}: unknown field`);
  }
  if (typeof o.service !== 'string' || o.service === '') errors.push(`${path}.service: required, the collector's service host`);
  if (!Number.isInteger(o.port) || (o.port as number) < 1 || (o.port as number) > 65535) errors.push(`${path}.port: required, a port from 1 to 65535`);
  if (o.maxTagLength !== undefined && !(Number.isInteger(o.maxTagLength) && (o.maxTagLength as number) >= 0)) errors.push(`${path}.maxTagLength: must be a whole number, 0 or more`);
  if (o.http !== undefined && o.grpc !== undefined) errors.push(`${path}: http and grpc are exclusive`);
  if (o.http !== undefined) {
    if (!isObject(o.http)) errors.push(`${path}.http: must be a mapping`);
    else {
      unknownFields(o.http, new Set(['path', 'timeout', 'headers']), `${path}.http`, errors);
      if (o.http.path !== undefined && typeof o.http.path !== 'string') errors.push(`${path}.http.path: must be a string`);
      checkTimeout(o.http.timeout, `${path}.http.timeout`, errors);
      checkHeaders(o.http.headers, `${path}.http.headers`, errors);
    }
  }
  if (o.grpc !== undefined) {
    if (!isObject(o.grpc)) errors.push(`${path}.grpc: must be a mapping`);
    else {
      unknownFields(o.grpc, new Set(['timeout', 'initialMetadata']), `${path}.grpc`, errors);
      checkTimeout(o.grpc.timeout, `${path}.grpc.timeout`, errors);
      checkHeaders(o.grpc.initialMetadata, `${path}.grpc.initialMetadata`, errors);
    }
  }
  const rd = o.resourceDetectors;
  if (rd !== undefined) {
    if (!isObject(rd)) errors.push(`${path}.resourceDetectors: must be a mapping`);
    else for (const k of Object.keys(rd)) if (k !== 'environment') errors.push(`${path}.resourceDetectors.${k}: ${k === 'dynatrace' ? 'not supported by mizzen' : 'unknown field'}`);
  }
}

const GRPC_LOG_FIELDS = {
  envoyHttpAls: new Set(['service', 'port', 'logName', 'filterStateObjectsToLog', 'additionalRequestHeadersToLog', 'additionalResponseHeadersToLog', 'additionalResponseTrailersToLog']),
  envoyTcpAls: new Set(['service', 'port', 'logName', 'filterStateObjectsToLog']),
};

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '');

/** Errors of an Envoy gRPC access log service provider (envoyHttpAls, envoyTcpAls). */
function checkGrpcLog(kind: GrpcLogKind, v: unknown, path: string, errors: string[]): void {
  if (!isObject(v)) return void errors.push(`${path}: must be a mapping`);
  unknownFields(v, GRPC_LOG_FIELDS[kind], path, errors);
  if (typeof v.service !== 'string' || v.service === '') errors.push(`${path}.service: required, the access log service's host ([<namespace>/]<host>)`);
  if (!Number.isInteger(v.port) || (v.port as number) < 1 || (v.port as number) > 65535) errors.push(`${path}.port: required, a port from 1 to 65535`);
  if (v.logName !== undefined && typeof v.logName !== 'string') errors.push(`${path}.logName: must be a string`);
  for (const f of GRPC_LOG_FIELDS[kind]) {
    if (f === 'service' || f === 'port' || f === 'logName' || v[f] === undefined) continue;
    if (!isStringList(v[f])) errors.push(`${path}.${f}: must be a list of non-empty strings`);
  }
}

function checkFileLog(f: unknown, path: string, errors: string[]): void {
  if (!isObject(f)) return void errors.push(`${path}: must be a mapping`);
  unknownFields(f, FILE_FIELDS, path, errors);
  if (typeof f.path !== 'string' || f.path === '') errors.push(`${path}.path: required, the file Envoy writes (e.g. /dev/stdout)`);
  if (f.logFormat === undefined) return;
  const fmt = f.logFormat;
  if (!isObject(fmt)) return void errors.push(`${path}.logFormat: must be a mapping`);
  unknownFields(fmt, FORMAT_FIELDS, `${path}.logFormat`, errors);
  if (fmt.text !== undefined && fmt.labels !== undefined) errors.push(`${path}.logFormat: text and labels are exclusive`);
  if (fmt.text !== undefined && (typeof fmt.text !== 'string' || fmt.text === '')) errors.push(`${path}.logFormat.text: must be a non-empty string`);
  if (fmt.labels !== undefined && (!isObject(fmt.labels) || Object.keys(fmt.labels).length === 0)) errors.push(`${path}.logFormat.labels: must be a non-empty mapping`);
  if (fmt.omitEmptyValues !== undefined && typeof fmt.omitEmptyValues !== 'boolean') errors.push(`${path}.logFormat.omitEmptyValues: must be a boolean`);
}

/** Errors of one `extensionProviders` entry (at `path`). */
function checkProvider(p: unknown, path: string, errors: string[]): void {
  if (!isObject(p)) return void errors.push(`${path}: must be a mapping`);
  if (typeof p.name !== 'string' || p.name === '') errors.push(`${path}.name: required`);
  const kinds = Object.keys(p).filter((k) => k !== 'name');
  const unknown = kinds.filter((k) => !GENERATED.has(k) && !ACCEPTED.has(k));
  for (const k of unknown) errors.push(`${path}.${k}: unknown provider kind`);
  if (unknown.length === 0 && kinds.length !== 1) errors.push(`${path}: must have exactly one provider kind (e.g. zipkin, envoyFileAccessLog), has ${kinds.length}`);
  if (p.zipkin !== undefined) checkZipkin(p.zipkin, `${path}.zipkin`, errors);
  if (p.envoyFileAccessLog !== undefined) checkFileLog(p.envoyFileAccessLog, `${path}.envoyFileAccessLog`, errors);
  if (p.opentelemetry !== undefined) checkOtel(p.opentelemetry, `${path}.opentelemetry`, errors);
  for (const kind of GRPC_LOG_KINDS) if (p[kind] !== undefined) checkGrpcLog(kind, p[kind], `${path}.${kind}`, errors);
  for (const kind of EXT_AUTHZ_KINDS) if (p[kind] !== undefined) checkExtAuthz(kind, p[kind], `${path}.${kind}`, errors);
}

/**
 * `base` with the user's `extensionProviders` merged in by name (a provider of the same name is replaced), as
 * Istio merges them onto its defaults; errors name the entry and field.
 */
export function mergeExtensionProviders(base: readonly ExtensionProvider[], input: unknown, errors: string[]): ExtensionProvider[] {
  const out = base.map((p) => structuredClone(p));
  if (input === undefined) return out;
  if (!Array.isArray(input)) {
    errors.push('extensionProviders: must be a list');
    return out;
  }
  const seen = new Set<string>();
  input.forEach((p, i) => {
    const before = errors.length;
    checkProvider(p, `extensionProviders[${i}]`, errors);
    if (errors.length > before) return;
    const provider = p as ExtensionProvider;
    // Telemetry resources name providers without regard to case: so do these checks.
    const key = provider.name.toLowerCase();
    if (seen.has(key)) return void errors.push(`extensionProviders[${i}].name: "${provider.name}" is defined twice`);
    seen.add(key);
    const at = out.findIndex((q) => q.name.toLowerCase() === key);
    if (at >= 0) out[at] = provider;
    else out.push(provider);
  });
  return out;
}

/** Errors of `defaultProviders`: each name must be one of `providers`. */
export function checkDefaultProviders(defaults: DefaultProviders, providers: readonly ExtensionProvider[], errors: string[]): void {
  const names = new Set(providers.map((p) => p.name.toLowerCase()));
  for (const field of ['tracing', 'accessLogging', 'metrics'] as const) {
    const list: unknown = defaults[field];
    if (!Array.isArray(list)) continue; // the merge reports the type
    list.forEach((name, i) => {
      if (typeof name !== 'string') errors.push(`defaultProviders.${field}[${i}]: must be a provider name`);
      else if (!names.has(name.toLowerCase())) errors.push(`defaultProviders.${field}[${i}]: no extensionProviders entry is named "${name}"`);
    });
  }
}
