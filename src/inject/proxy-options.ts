/**
 * The per-pod annotations that shape the istio-proxy container beyond its image, log level and resources:
 * `proxy.istio.io/config` (proxy-config.ts), `sidecar.istio.io/userVolume` and `userVolumeMount`
 * (user-volumes.ts), `sidecar.istio.io/componentLogLevel`, `sidecar.istio.io/statsHistogramBuckets`,
 * `sidecar.istio.io/statsFlushInterval`,
 * `status.sidecar.istio.io/port` and the `readiness.status.sidecar.istio.io/*` probe settings. Also the Istio annotations mizzen reads but does not
 * apply, each answered with an admission warning rather than silence. Pure.
 */
import { KNOWN_TEMPLATES, TEMPLATES_ANNOTATION, unknownTemplates } from './templates.js';
import { Annotations } from '../core/constants.js';
import { deepFreeze } from '../core/freeze.js';
import { shown } from '../core/shown.js';
import { overlayProxyConfig, readProxyConfig, type ProxyConfigOverrides } from './proxy-config.js';
import { agentEnvWarnings } from './agent-env.js';
import type { AppliedProxyConfig } from './proxy-configs.js';
import type { DefaultProxyConfig } from '../config/default-config.js';
import { checkUserVolumes, readNamedObjects, type Entry } from './user-volumes.js';
import { setOwn } from './template.js';
import { parseDuration } from '../core/duration.js';
import { goBool } from '../core/go-bool.js';
import { mergeProxyHeaders } from '../model/proxy-headers.js';
import type { RemoteService } from '../config/remote-service.js';

export interface ProxyOptions {
  /** Envoy's --concurrency; 0 leaves it out (Envoy then runs a worker per core). */
  concurrency: number;
  /** Added to istio-proxy's environment, after mizzen's own (ProxyConfig proxyMetadata). */
  env: ReadonlyArray<{ name: string; value: string }>;
  /** Node metadata set from ISTIO_META_* entries of proxyMetadata (prefix removed), over mizzen's own. */
  nodeMetadata: Readonly<Record<string, string>>;
  /** The pod's xDS server (ProxyConfig discoveryAddress), instead of the mesh config's. */
  xdsAddress?: string;
  /** Envoy's --component-log-level, e.g. "upstream:debug,connection:trace". */
  componentLogLevel?: string;
  /** False when status.sidecar.istio.io/port is "0": no readiness or startup probe, as in Istio. */
  probes: boolean;
  readiness: { initialDelaySeconds?: number; periodSeconds: number; failureThreshold: number };
  /** Added to istio-proxy's volumeMounts (sidecar.istio.io/userVolumeMount). */
  mounts: readonly Entry[];
  /** Envoy's histogram buckets by stat prefix (sidecar.istio.io/statsHistogramBuckets), sorted by prefix. */
  histogramBuckets?: ReadonlyArray<{ prefix: string; buckets: readonly number[] }>;
  /** Envoy's stats_flush_interval in milliseconds (sidecar.istio.io/statsFlushInterval; Envoy's default is 5 s). */
  statsFlushMs?: number;
  /** ProxyConfig terminationDrainDuration: how long a terminating proxy drains before it stops (drain.ts), ms; 0: no drain. */
  terminationDrainMs: number;
  /** ProxyConfig drainDuration: Envoy's --drain-time-s. */
  drainSeconds: number;
  /** proxyMetadata EXIT_ON_ZERO_ACTIVE_CONNECTIONS: drain MINIMUM_DRAIN_DURATION, then until no connection is left (drain.ts). */
  exitOnZero?: { minimumDrainMs: number };
  /** ProxyConfig envoyAccessLogService with an address: the bootstrap's envoy_accesslog_service cluster. */
  accessLogService?: RemoteService & { address: string };
}

/** What a pod that sets none of these annotations gets; proxy.ts keys its templates on this very object. */
export const DEFAULT_PROXY_OPTIONS: ProxyOptions = deepFreeze({
  concurrency: 2,
  env: [],
  nodeMetadata: {},
  probes: true,
  readiness: { periodSeconds: 15, failureThreshold: 4 },
  mounts: [],
  // Istio's defaults.
  terminationDrainMs: 5000,
  drainSeconds: 45,
});

export interface PodProxyOptions {
  proxy: ProxyOptions;
  /** Added to the pod (sidecar.istio.io/userVolume). */
  volumes: Entry[];
  /** ProxyConfig's own choices, which the mesh defaults give way to (and the interceptionMode annotation overrides). */
  hold?: boolean;
  interceptionMode?: ProxyConfigOverrides['interceptionMode'];
  /** The pod's effective gatewayTopology: the annotation's, whole, else defaultConfig's (a gateway's bootstrap carries it). */
  gatewayTopology?: ProxyConfigOverrides['gatewayTopology'];
  /** The pod's effective proxyHeaders: the annotation's over defaultConfig's, as Istio merges them (its bootstrap carries them). */
  proxyHeaders?: ProxyConfigOverrides['proxyHeaders'];
  /** The pod's effective tracing customTags and maxPathTagLength: the annotation's tracing, whole, else defaultConfig's. */
  tracing?: ProxyConfigOverrides['tracing'];
  /** The pod's tracingServiceName: the annotation's, else defaultConfig's. */
  tracingServiceName?: ProxyConfigOverrides['tracingServiceName'];
  warnings: string[];
}

/** The annotations readProxyOptions reads. */
export const PROXY_OPTION_ANNOTATIONS: readonly string[] = [
  Annotations.proxyConfig,
  Annotations.userVolume,
  Annotations.userVolumeMount,
  Annotations.componentLogLevel,
  Annotations.statusPort,
  Annotations.readinessInitialDelaySeconds,
  Annotations.readinessPeriodSeconds,
  Annotations.readinessFailureThreshold,
  Annotations.statsHistogramBuckets,
  Annotations.statsFlushInterval,
];

/** Istio annotations with no effect here, and why; a pod carrying one is admitted with a warning. */
export const UNSUPPORTED_ANNOTATIONS: ReadonlyMap<string, string> = new Map(Object.entries({
  'sidecar.istio.io/bootstrapOverride': 'the Envoy bootstrap is generated by mizzen',
  'sidecar.istio.io/agentLogLevel': 'the sidecar runs Envoy without istio-agent',
  'sidecar.istio.io/templates': 'mizzen has one injection template',
  [TEMPLATES_ANNOTATION]: `mizzen has the templates ${KNOWN_TEMPLATES.join(', ')}`,
  'sidecar.istio.io/discoveryAddress': 'set discoveryAddress in proxy.istio.io/config instead',
  'sidecar.istio.io/proxyImageType': 'set sidecar.istio.io/proxyImage instead',
  'sidecar.istio.io/statsInclusionPrefixes': 'the sidecar keeps every Envoy stat: there is nothing to include',
  'sidecar.istio.io/statsInclusionSuffixes': 'the sidecar keeps every Envoy stat: there is nothing to include',
  'sidecar.istio.io/statsInclusionRegexps': 'the sidecar keeps every Envoy stat: there is nothing to include',
  'sidecar.istio.io/extraStatTags': "the tags are those of Istio's own stats extension, which plain Envoy does not have",
  'sidecar.istio.io/enableCoreDump': 'core dumps are not enabled by mizzen',
  'sidecar.istio.io/statsEvictionInterval': "it tunes Istio's standard metrics, which plain Envoy does not have",
  'sidecar.istio.io/statsHistogramBins': "it tunes Istio's standard metrics, which plain Envoy does not have",
  'sidecar.istio.io/statsCompression': "Envoy's stats endpoint is served by Envoy itself, without istio-agent",
  'readiness.status.sidecar.istio.io/applicationPorts': "Envoy's own readiness (15021) does not probe application ports",
}));

/** How errors name an annotation: `metadata.annotations["sidecar.istio.io/proxyCPU"]`. */
export const field = (key: string) => `metadata.annotations[${JSON.stringify(key)}]`;
const COMPONENT_LEVEL = /^[a-z0-9_]+:(trace|debug|info|warning|warn|error|critical|off)(,[a-z0-9_]+:(trace|debug|info|warning|warn|error|critical|off))*$/;

/** A uint32 as Go's strconv.ParseUint(v, 10, 32) reads it (Istio's check of the readiness annotations). */
const uint32 = (v: string): number | undefined => (/^\d{1,10}$/.test(v) && Number(v) <= 0xffffffff ? Number(v) : undefined);

type Get = (key: string) => string | undefined;

/**
 * The mesh config's defaultConfig; over it proxy.istio.io/config, with its ignored fields as a warning; then the
 * ProxyConfig resources that apply to the pod. Each wins over the one before, the environment name by name.
 */
function proxyConfigPart(get: Get, errors: string[], warnings: string[], base: DefaultProxyConfig, resources: AppliedProxyConfig | undefined) {
  const part = { concurrency: DEFAULT_PROXY_OPTIONS.concurrency, env: DEFAULT_PROXY_OPTIONS.env, nodeMetadata: DEFAULT_PROXY_OPTIONS.nodeMetadata, terminationDrainMs: DEFAULT_PROXY_OPTIONS.terminationDrainMs, drainSeconds: DEFAULT_PROXY_OPTIONS.drainSeconds } as Pick<
    ProxyOptions,
    'concurrency' | 'env' | 'nodeMetadata' | 'xdsAddress' | 'terminationDrainMs' | 'drainSeconds' | 'exitOnZero' | 'accessLogService'
  > &
    Pick<PodProxyOptions, 'hold' | 'interceptionMode' | 'gatewayTopology' | 'proxyHeaders' | 'tracing' | 'tracingServiceName'>;
  let o: ProxyConfigOverrides = overlayProxyConfig({}, base);
  const text = get(Annotations.proxyConfig);
  const pc = text === undefined ? undefined : readProxyConfig(text);
  if (pc && !pc.ok) errors.push(...pc.errors.map((e) => `${field(Annotations.proxyConfig)}: ${e}`));
  else if (pc) {
    const a = pc.value.overrides;
    o = { ...a, ...overlayProxyConfig(o, a) };
    if (pc.value.ignored.length) warnings.push(`${field(Annotations.proxyConfig)}: ${pc.value.ignored.join(', ')} not applied by mizzen (ignored)`);
    warnings.push(...(pc.value.warnings ?? []).map((w) => `${field(Annotations.proxyConfig)}: ${w}`));
  }
  if (resources) {
    o = overlayProxyConfig(o, resources.overrides);
    warnings.push(...resources.warnings);
  }
  if (o.concurrency !== undefined) part.concurrency = o.concurrency;
  // The pod's own settings and its ProxyConfig resources' (the mesh's defaultConfig is warned about when it loads).
  warnings.push(...agentEnvWarnings(Object.keys(pc?.ok ? (pc.value.overrides.proxyMetadata ?? {}) : {}), `${field(Annotations.proxyConfig)}: proxyMetadata`));
  if (resources) warnings.push(...agentEnvWarnings(Object.keys(resources.overrides.proxyMetadata ?? {}), `ProxyConfig ${resources.from.join(', ')}: environmentVariables`));
  if (o.proxyMetadata) {
    const exitOnZero = exitOnZeroOf(o.proxyMetadata, warnings);
    if (exitOnZero) part.exitOnZero = exitOnZero;
    part.env = Object.entries(o.proxyMetadata).map(([name, value]) => ({ name, value }));
    const meta = istioMetadata(part.env);
    if (Object.keys(meta).length > 0) part.nodeMetadata = meta;
  }
  part.xdsAddress = o.discoveryAddress;
  part.hold = o.holdApplicationUntilProxyStarts;
  part.interceptionMode = o.interceptionMode;
  // A message field: the annotation's replaces defaultConfig's whole, as Istio merges the annotation over it.
  part.gatewayTopology = o.gatewayTopology ?? base.gatewayTopology;
  // Also a message field, of which Istio keeps some of defaultConfig's fields that the annotation leaves out.
  part.proxyHeaders = mergeProxyHeaders(base.proxyHeaders, o.proxyHeaders);
  // A message field too: the annotation's tracing replaces defaultConfig's whole (its customTags are not merged).
  part.tracing = o.tracing ?? base.tracing;
  part.tracingServiceName = o.tracingServiceName ?? base.tracingServiceName;
  part.terminationDrainMs = o.terminationDrainDuration ?? base.terminationDrainDuration ?? part.terminationDrainMs;
  const drainMs = o.drainDuration ?? base.drainDuration;
  if (drainMs !== undefined) part.drainSeconds = drainMs / 1000;
  // A message field: the annotation's replaces defaultConfig's whole. Without an address there is no cluster, as in Istio.
  const als = o.envoyAccessLogService ?? base.envoyAccessLogService;
  if (als?.address !== undefined) part.accessLogService = als as RemoteService & { address: string };
  return part;
}

/**
 * EXIT_ON_ZERO_ACTIVE_CONNECTIONS and MINIMUM_DRAIN_DURATION of the proxy's environment, as Istio's agent reads them:
 * a value it cannot read is its default (off; 5s), with a warning.
 */
function exitOnZeroOf(env: Readonly<Record<string, string>>, warnings: string[]): ProxyOptions['exitOnZero'] {
  const at = `proxyMetadata (${field(Annotations.proxyConfig)}, ProxyConfig or the mesh config's defaultConfig)`;
  const on = env.EXIT_ON_ZERO_ACTIVE_CONNECTIONS;
  if (on === undefined) return undefined;
  const value = goBool(on);
  if (value === undefined) warnings.push(`${at}: EXIT_ON_ZERO_ACTIVE_CONNECTIONS: ${shown(on)} is not a boolean, taken as false`);
  if (!value) return undefined;
  const min = env.MINIMUM_DRAIN_DURATION;
  if (min === undefined) return { minimumDrainMs: 5000 };
  const ns = parseDuration(min.trim());
  if (ns !== undefined && ns >= 0n && ns % 1_000_000n === 0n) return { minimumDrainMs: Number(ns / 1_000_000n) };
  warnings.push(`${at}: MINIMUM_DRAIN_DURATION: ${shown(min)} is not a duration in whole milliseconds, 5s taken`);
  return { minimumDrainMs: 5000 };
}

/** sidecar.istio.io/userVolume and userVolumeMount, checked against the pod's own volumes. */
function userVolumesPart(get: Get, podVolumes: string[], reserved: { name: string; mountPath: string }, errors: string[]): { volumes: Entry[]; mounts: Entry[] } {
  const named = (key: string): Entry[] => {
    const text = get(key);
    if (text === undefined) return [];
    const r = readNamedObjects(text);
    errors.push(...r.errors.map((e) => `${field(key)}: ${e}`));
    return r.entries;
  };
  const volumes = named(Annotations.userVolume);
  const mounts = named(Annotations.userVolumeMount);
  const bad = checkUserVolumes(volumes, mounts, podVolumes, reserved);
  errors.push(...bad.volumes.map((e) => `${field(Annotations.userVolume)}: ${e}`), ...bad.mounts.map((e) => `${field(Annotations.userVolumeMount)}: ${e}`));
  return { volumes, mounts };
}

/** status.sidecar.istio.io/port ("0": no probes) and the readiness.status.sidecar.istio.io/* probe settings. */
function probesPart(get: Get, errors: string[], warnings: string[]): Pick<ProxyOptions, 'probes' | 'readiness'> {
  let probes = true;
  const statusPort = get(Annotations.statusPort);
  if (statusPort !== undefined) {
    const p = statusPort.trim();
    if (!/^\d{1,5}$/.test(p) || Number(p) > 65535) errors.push(`${field(Annotations.statusPort)}: ${shown(statusPort)} is not a port`);
    else if (Number(p) === 0) probes = false;
    else warnings.push(`${field(Annotations.statusPort)}: only "0" (no readiness probe) is applied by mizzen; Envoy answers readiness on 15021`);
  }
  const readiness: ProxyOptions['readiness'] = { ...DEFAULT_PROXY_OPTIONS.readiness };
  for (const [key, name] of [
    [Annotations.readinessInitialDelaySeconds, 'initialDelaySeconds'],
    [Annotations.readinessPeriodSeconds, 'periodSeconds'],
    [Annotations.readinessFailureThreshold, 'failureThreshold'],
  ] as const) {
    const v = get(key);
    if (v === undefined) continue;
    const n = uint32(v);
    if (n === undefined) errors.push(`${field(key)}: ${shown(v)} must be a whole number of at least 0`);
    else readiness[name] = n;
  }
  return { probes, readiness };
}

/** Bounds on sidecar.istio.io/statsHistogramBuckets, so that a hostile value costs little. */
const MAX_BUCKET_PREFIXES = 50;
const MAX_BUCKETS = 200;

/**
 * sidecar.istio.io/statsHistogramBuckets: JSON, stat name prefix → bucket bounds (ms), e.g.
 * `{"cluster.xds-grpc":[1,5,10,25,50,100]}`; Envoy wants at least one bound per prefix, each above 0, no repeats.
 */
function histogramBucketsPart(get: Get, errors: string[]): ProxyOptions['histogramBuckets'] {
  const text = get(Annotations.statsHistogramBuckets);
  if (text === undefined) return undefined;
  const bad = (why: string) => {
    errors.push(`${field(Annotations.statsHistogramBuckets)}: ${why}`);
    return undefined;
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return bad(`is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return bad(`must be a JSON object of stat prefixes to lists of bucket bounds, got ${shown(doc)}`);
  const entries = Object.entries(doc);
  if (entries.length > MAX_BUCKET_PREFIXES) return bad(`has ${entries.length} prefixes, more than ${MAX_BUCKET_PREFIXES}`);
  const out: Array<{ prefix: string; buckets: number[] }> = [];
  for (const [prefix, list] of entries) {
    const at = `${shown(prefix)}:`;
    if (prefix === '') return bad('a prefix must not be empty');
    if (!Array.isArray(list) || list.length === 0) return bad(`${at} must be a non-empty list of numbers, got ${shown(list)}`);
    if (list.length > MAX_BUCKETS) return bad(`${at} has ${list.length} bounds, more than ${MAX_BUCKETS}`);
    if (!list.every((b): b is number => typeof b === 'number' && Number.isFinite(b) && b > 0)) return bad(`${at} every bound must be a number above 0`);
    const sorted = [...list].sort((a, b) => a - b);
    if (sorted.some((b, i) => i > 0 && b === sorted[i - 1])) return bad(`${at} a bound appears twice`);
    out.push({ prefix, buckets: sorted });
  }
  return out.sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
}

/** Envoy's bounds on stats_flush_interval: at least 1 ms, under 5 minutes. */
const MAX_FLUSH_MS = 300_000;

/** sidecar.istio.io/statsFlushInterval: a duration ("10s", "500ms") within Envoy's bounds, in milliseconds. */
function statsFlushPart(get: Get, errors: string[]): number | undefined {
  const text = get(Annotations.statsFlushInterval);
  if (text === undefined) return undefined;
  const ns = parseDuration(text.trim());
  if (ns === undefined || ns < 1_000_000n || ns >= BigInt(MAX_FLUSH_MS) * 1_000_000n) {
    errors.push(`${field(Annotations.statsFlushInterval)}: ${shown(text)} must be a duration of at least 1ms and under 5m, e.g. "10s"`);
    return undefined;
  }
  return Number(ns / 1_000_000n);
}

const DEFAULT_JSON = JSON.stringify(DEFAULT_PROXY_OPTIONS);

/**
 * Reads the annotations above. `get` returns an annotation's string value (recording an error when it is not
 * a string); `podVolumes` are the names of the pod's own volumes. Errors name the annotation. Options equal to
 * the defaults come back as DEFAULT_PROXY_OPTIONS itself, so that proxy.ts keeps its templates for them.
 */
export function readProxyOptions(get: Get, podVolumes: string[], reserved: { name: string; mountPath: string }, errors: string[], base: DefaultProxyConfig = {}, resources?: AppliedProxyConfig): PodProxyOptions {
  const warnings: string[] = [];
  const { hold, interceptionMode, gatewayTopology, proxyHeaders, tracing, tracingServiceName, ...config } = proxyConfigPart(get, errors, warnings, base, resources);
  const { volumes, mounts } = userVolumesPart(get, podVolumes, reserved, errors);
  const componentLogLevel = get(Annotations.componentLogLevel);
  if (componentLogLevel !== undefined && !COMPONENT_LEVEL.test(componentLogLevel)) {
    errors.push(`${field(Annotations.componentLogLevel)}: ${shown(componentLogLevel)} must be component:level pairs separated by commas, e.g. "upstream:debug,connection:trace"`);
  }
  const histogramBuckets = histogramBucketsPart(get, errors);
  const statsFlushMs = statsFlushPart(get, errors);
  const proxy: ProxyOptions = {
    concurrency: config.concurrency,
    env: config.env,
    nodeMetadata: config.nodeMetadata,
    xdsAddress: config.xdsAddress,
    componentLogLevel,
    ...probesPart(get, errors, warnings),
    mounts,
    // In DEFAULT_PROXY_OPTIONS's order: options equal to it are compared as JSON.
    terminationDrainMs: config.terminationDrainMs,
    drainSeconds: config.drainSeconds,
    ...(config.exitOnZero && { exitOnZero: config.exitOnZero }),
    ...(config.accessLogService && { accessLogService: config.accessLogService }),
    ...(histogramBuckets && { histogramBuckets }),
    ...(statsFlushMs !== undefined && { statsFlushMs }),
  };
  return { proxy: JSON.stringify(proxy) === DEFAULT_JSON ? DEFAULT_PROXY_OPTIONS : proxy, volumes, hold, interceptionMode, ...(gatewayTopology && { gatewayTopology }), ...(proxyHeaders && { proxyHeaders }), ...(tracing && { tracing }), ...(tracingServiceName && { tracingServiceName }), warnings };
}

/**
 * Node metadata from ISTIO_META_* environment entries, prefix removed, as Istio's agent reads its environment
 * (later entries win, as for the environment itself). Entries without a plain value are skipped.
 */
export function istioMetadata(env: Iterable<{ name?: unknown; value?: unknown }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    if (typeof e?.name !== 'string' || typeof e.value !== 'string' || !e.name.startsWith('ISTIO_META_') || e.name.length === 'ISTIO_META_'.length) continue;
    setOwn(out, e.name.slice('ISTIO_META_'.length), e.value);
  }
  return out;
}

/** Warnings for the annotations in UNSUPPORTED_ANNOTATIONS that the pod carries. */
export function unsupportedWarnings(annotations: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k in annotations) {
    const why = UNSUPPORTED_ANNOTATIONS.get(k);
    if (why === undefined) continue;
    if (k !== TEMPLATES_ANNOTATION) out.push(`${field(k)}: not supported by mizzen, ignored (${why})`);
    else {
      // Only the names mizzen has no template for are ignored.
      const unknown = unknownTemplates(annotations[k]);
      if (unknown.length > 0) out.push(`${field(k)}: ${unknown.map((t) => JSON.stringify(t)).join(', ')} not supported by mizzen, ignored (${why})`);
    }
  }
  return out;
}
