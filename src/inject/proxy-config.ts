/**
 * The `proxy.istio.io/config` annotation: ProxyConfig overrides for one pod, as YAML or JSON. Istio merges
 * it over the mesh's defaultConfig and fails the injection when it does not parse or a field has the wrong
 * type; unknown fields are ignored. mizzen applies the fields that mean something to a plain Envoy sidecar
 * and says, in an admission warning, which others it leaves alone (Istio's agent would have used them).
 * Pure.
 */
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { KUBECTL_YAML } from '../core/documents.js';
import { parseHostPort } from '../bootstrap/envoy.js';
import { MAX_NAMED, noteNamed, shown } from '../core/shown.js';
import { ENV_VAR_NAME } from '../core/kube.js';
import { isObject } from '../core/object.js';
import { readGatewayTopology, type GatewayTopology } from '../model/gateway-topology.js';
import { readProxyHeaders, type ProxyHeaders } from '../model/proxy-headers.js';
import { parseDuration } from '../core/duration.js';
import { readRemoteService, type RemoteService } from '../config/remote-service.js';
import { readProxyTracing, type ProxyTracing } from '../model/proxy-tracing.js';
import { TRACING_SERVICE_NAMES, type TracingServiceName } from '../bootstrap/service-cluster.js';

export interface ProxyConfigOverrides {
  holdApplicationUntilProxyStarts?: boolean;
  /** Envoy worker threads; 0 leaves the choice to Envoy (one per core). */
  concurrency?: number;
  /** Environment of istio-proxy; the ISTIO_META_ ones also go into the node metadata, as Istio's agent puts them. */
  proxyMetadata?: Record<string, string>;
  /** host:port of the xDS server for this pod. */
  discoveryAddress?: string;
  interceptionMode?: 'REDIRECT' | 'TPROXY' | 'NONE';
  /** What stands in front of a gateway (model/gateway-topology.ts); a gateway's bootstrap carries it to the xDS server. */
  gatewayTopology?: GatewayTopology;
  /** Which headers the proxy adds or keeps (model/proxy-headers.ts); its bootstrap carries them to the xDS server. */
  proxyHeaders?: ProxyHeaders;
  /** How long a terminating proxy keeps serving while its listeners drain, in ms (the preStop hook, drain.ts). */
  terminationDrainDuration?: number;
  /** Envoy's drain time (--drain-time-s), whole seconds, in ms. */
  drainDuration?: number;
  /** Istio's legacy gRPC access log service: the bootstrap's envoy_accesslog_service cluster (bootstrap/access-log-service.ts). */
  envoyAccessLogService?: RemoteService;
  /** tracing's customTags and maxPathTagLength (model/proxy-tracing.ts); its bootstrap carries them to the xDS server. */
  tracing?: ProxyTracing;
  /** How the proxy's service cluster (the service its spans name) is chosen (bootstrap/service-cluster.ts). */
  tracingServiceName?: TracingServiceName;
}

export interface ProxyConfigRead {
  overrides: ProxyConfigOverrides;
  /** Fields that parsed but that mizzen does not apply (e.g. tracing, drainDuration). */
  ignored: string[];
  /** What of an applied field mizzen takes otherwise than Istio would, each naming its field; absent: nothing. */
  warnings?: string[];
}

/** proto3 JSON accepts a field by its JSON name or its proto name. */
const ALIASES: ReadonlyMap<string, keyof ProxyConfigOverrides> = new Map(Object.entries({
  holdApplicationUntilProxyStarts: 'holdApplicationUntilProxyStarts',
  hold_application_until_proxy_starts: 'holdApplicationUntilProxyStarts',
  concurrency: 'concurrency',
  proxyMetadata: 'proxyMetadata',
  proxy_metadata: 'proxyMetadata',
  discoveryAddress: 'discoveryAddress',
  discovery_address: 'discoveryAddress',
  interceptionMode: 'interceptionMode',
  interception_mode: 'interceptionMode',
  gatewayTopology: 'gatewayTopology',
  gateway_topology: 'gatewayTopology',
  proxyHeaders: 'proxyHeaders',
  proxy_headers: 'proxyHeaders',
  terminationDrainDuration: 'terminationDrainDuration',
  termination_drain_duration: 'terminationDrainDuration',
  drainDuration: 'drainDuration',
  drain_duration: 'drainDuration',
  envoyAccessLogService: 'envoyAccessLogService',
  envoy_access_log_service: 'envoyAccessLogService',
  tracing: 'tracing',
  tracingServiceName: 'tracingServiceName',
  tracing_service_name: 'tracingServiceName',
} as Record<string, keyof ProxyConfigOverrides>));

const INT32_MAX = 2 ** 31 - 1;
const MS = 1_000_000n;
/** Drain durations above a day are refused: a pod would take that long to stop. */
const MAX_DRAIN = 86_400_000n * MS;

/** A proto3 JSON Duration ("5s", "1.5s", "500ms" also read) of at least `min` ns, whole milliseconds, in ms. */
function durationMs(v: unknown, min: bigint): { value: number } | { error: string } {
  const ns = typeof v === 'string' ? parseDuration(v.trim()) : undefined;
  const want = `a duration of ${min > 0n ? 'at least 1ms' : '0s or more'} and at most 24h, in whole milliseconds, e.g. "5s"`;
  if (ns === undefined || ns < min || ns > MAX_DRAIN || ns % MS !== 0n) return { error: `${shown(v)} must be ${want}` };
  return { value: Number(ns / MS) };
}

/**
 * A field's reader: its value, or what is wrong with it (`error`, said of the field; `errors`, each naming a field
 * below it). `unknown`: keys below the field that are none of its own, reported as ignored.
 */
type Reader = (v: unknown) => { value: unknown; unknown?: string[]; warnings?: string[] } | { error: string } | { errors: string[] };

const READERS: Record<keyof ProxyConfigOverrides, Reader> = {
  holdApplicationUntilProxyStarts: (v) => (typeof v === 'boolean' ? { value: v } : { error: `must be true or false, got ${shown(v)}` }),
  concurrency: (v) => {
    // An Int32Value: a JSON number or a string holding one.
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n > INT32_MAX) return { error: `must be a whole number, got ${shown(v)}` };
    if (n < 0) return { error: `must not be negative, got ${n}` };
    return { value: n };
  },
  proxyMetadata: (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: `must be a mapping of names to strings, got ${shown(v)}` };
    const out: Record<string, string> = {};
    const problems: string[] = [];
    for (const [k, val] of Object.entries(v)) {
      if (!ENV_VAR_NAME.test(k)) problems.push(`${shown(k)} is not an environment variable name`);
      else if (typeof val !== 'string') problems.push(`${shown(k)}: must be a string, got ${shown(val)} (quote it)`);
      else out[k] = val;
      if (problems.length > MAX_NAMED) return { error: `${problems.slice(0, MAX_NAMED).join('; ')}; …` };
    }
    return problems.length ? { error: problems.join('; ') } : { value: out };
  },
  discoveryAddress: (v) => {
    if (typeof v !== 'string') return { error: `must be a string, got ${shown(v)}` };
    const hp = parseHostPort(v);
    return hp.ok ? { value: v } : { error: `${shown(v)} must be host:port` };
  },
  interceptionMode: (v) => (v === 'REDIRECT' || v === 'TPROXY' || v === 'NONE' ? { value: v } : { error: `${shown(v)} must be REDIRECT, TPROXY or NONE` }),
  terminationDrainDuration: (v) => durationMs(v, 0n),
  drainDuration: (v) => {
    const r = durationMs(v, MS);
    return 'value' in r && (r.value as number) % 1000 !== 0 ? { error: `${shown(v)} must be whole seconds (Envoy's drain time)` } : r;
  },
  gatewayTopology: (v) => {
    const r = readGatewayTopology(v);
    if (!r.ok) return isObject(v) ? { errors: r.errors } : { error: r.errors[0]! };
    return { value: r.value, unknown: r.unknown };
  },
  proxyHeaders: (v) => {
    const r = readProxyHeaders(v);
    if (!r.ok) return isObject(v) ? { errors: r.errors } : { error: r.errors[0]! };
    return { value: r.value, unknown: r.unknown };
  },
  envoyAccessLogService: (v) => {
    const r = readRemoteService(v);
    if (!r.ok) return isObject(v) ? { errors: r.errors } : { error: r.errors[0]! };
    return { value: r.value, unknown: r.unknown, warnings: r.warnings };
  },
  tracing: (v) => {
    const r = readProxyTracing(v);
    if (!r.ok) return isObject(v) ? { errors: r.errors } : { error: r.errors[0]! };
    // Istio's other tracing fields (the tracer, sampling …) are mizzen's mesh-wide settings: not applied per proxy.
    return { value: r.value, unknown: [...r.unknown, ...r.others], warnings: r.warnings };
  },
  tracingServiceName: (v) => {
    // An enum: by name, or by number as proto3 JSON also writes it.
    const name = typeof v === 'number' && Number.isInteger(v) ? TRACING_SERVICE_NAMES[v] : TRACING_SERVICE_NAMES.find((n) => n === v);
    return name === undefined ? { error: `${shown(v)} must be one of ${TRACING_SERVICE_NAMES.join(', ')}` } : { value: name };
  },
};

/** The fields a ProxyConfig resource (and the mesh config's defaultConfig) shares with the annotation. */
export type SharedOverrides = Pick<ProxyConfigOverrides, 'concurrency' | 'proxyMetadata'>;

/** `top` laid over `base`, as each ProxyConfig layer goes over the one below: concurrency whole, the environment name by name. */
export function overlayProxyConfig<T extends SharedOverrides>(base: T, top: SharedOverrides): T {
  return {
    ...base,
    ...(top.concurrency !== undefined && { concurrency: top.concurrency }),
    ...(top.proxyMetadata && { proxyMetadata: { ...base.proxyMetadata, ...top.proxyMetadata } }),
  };
}

/** One field's value read as the annotation reads it (for the ProxyConfig resource's concurrency and environmentVariables). */
export function readProxyConfigField<K extends Exclude<keyof ProxyConfigOverrides, 'gatewayTopology' | 'proxyHeaders' | 'envoyAccessLogService' | 'tracing'>>(name: K, value: unknown): { value: NonNullable<ProxyConfigOverrides[K]> } | { error: string } {
  return READERS[name](value) as { value: NonNullable<ProxyConfigOverrides[K]> } | { error: string };
}

/** A key that appears twice in one mapping of the document, if any (walked without recursion: input may be deep). */
function duplicateKey(root: unknown): string | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) return String(key);
        seen.add(key);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) stack.push(...(node.items as Node[]));
  }
  return undefined;
}

/** Reads the annotation's value; errors say what is wrong, without the annotation's name (the caller adds it). */
export function readProxyConfig(text: string): { ok: true; value: ProxyConfigRead } | { ok: false; errors: string[] } {
  const invalid = (message: string) => ({ ok: false as const, errors: [`is not valid YAML or JSON: ${message.split('\n')[0]!.replace(/:$/, '')}`] });
  let doc: unknown;
  try {
    // yaml's own uniqueKeys check compares every key with every other (seconds for a 20000-key annotation).
    const parsed = parseDocument(text, { ...KUBECTL_YAML, uniqueKeys: false });
    if (parsed.errors.length > 0) return invalid(parsed.errors[0]!.message);
    const dup = duplicateKey(parsed.contents);
    if (dup !== undefined) return invalid(`the key ${shown(dup)} appears twice`);
    doc = parsed.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return invalid((e as Error).message);
  }
  return proxyConfigOf(doc);
}

/**
 * A parsed ProxyConfig (the annotation's document, or the mesh config's defaultConfig) read as readProxyConfig reads
 * it: the fields mizzen applies, checked; the names of the others.
 */
export function proxyConfigOf(doc: unknown): { ok: true; value: ProxyConfigRead } | { ok: false; errors: string[] } {
  if (doc === null || doc === undefined) return { ok: true, value: { overrides: {}, ignored: [] } };
  if (typeof doc !== 'object' || Array.isArray(doc)) return { ok: false, errors: [`must be a ProxyConfig mapping, got ${shown(doc)}`] };
  const overrides: ProxyConfigOverrides = {};
  const ignored: string[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  const ignore = (path: string): void => noteNamed(ignored, path);
  for (const [key, value] of Object.entries(doc)) {
    const name = ALIASES.get(key);
    if (name === undefined) {
      ignore(key);
      continue;
    }
    if (value === null) continue; // proto3 JSON: null leaves the field at its default
    const r = READERS[name](value);
    if ('error' in r) errors.push(`${key}: ${r.error}`);
    else if ('errors' in r) errors.push(...r.errors.map((e) => `${key}.${e}`));
    else {
      (overrides as Record<string, unknown>)[name] = r.value;
      for (const below of r.unknown ?? []) ignore(below === '…' ? below : `${key}.${below}`);
      for (const w of r.warnings ?? []) warnings.push(`${key}.${w}`);
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, value: { overrides, ignored, ...(warnings.length && { warnings }) } };
}
