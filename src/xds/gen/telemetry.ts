/**
 * Istio's Telemetry API (telemetry.istio.io Telemetry) for Envoy sidecars and gateways: which access logs and which
 * tracer each connection manager and tcp_proxy gets, composed as istiod composes them.
 *
 * Which resources apply to a proxy, in order (a later one overrides an earlier one): the mesh's (the oldest without
 * selector in a root namespace: the mesh config's rootNamespace, else istio-system, then mizzen-system;
 * model/root-namespaces.ts), the namespace's (the oldest without selector in
 * the proxy's namespace) and then every resource of that namespace whose selector matches the proxy's labels,
 * oldest first, with those whose targetRefs name the Gateway API Gateway the proxy serves (model/policy-attachment.ts)
 * among them.
 *
 * Each direction is composed apart: a sidecar's virtualInbound listener is SERVER, its other listeners and every
 * gateway listener are CLIENT, and an entry with `match.mode` counts only for its direction.
 *
 * - Tracing: the first default tracing provider, then each entry in order sets what it states (its first provider,
 *   disableSpanReporting, randomSamplingPercentage, customTags, useRequestIdForTraceSampling, enableIstioTags). No
 *   provider, a disabled one, or one whose collector the proxy has no cluster for: no tracer. Unset sampling: the
 *   mesh config's. Spans carry istiod's tags (canonical service and revision, namespace, mesh and cluster ids)
 *   unless enableIstioTags is false, then the custom tags (the Telemetry's, else the proxy's ProxyConfig's),
 *   sorted by tag (span-tags.ts).
 * - Access logs: the default providers, then each resource's entries choose providers (an entry without providers
 *   means the ones in force above), turn them off (`disabled`) or filter them (a CEL expression). One log per
 *   log provider left on, ordered by name: envoyFileAccessLog on connection managers and tcp_proxies alike,
 *   envoyHttpAls on connection managers, envoyTcpAls on tcp_proxies.
 * - Listener-level logs, as istiod writes them on a sidecar's virtualOutbound (CLIENT) and virtualInbound (SERVER)
 *   and on every gateway listener: the same providers (gRPC services of both kinds among them, as in istiod) or the
 *   mesh config's file log and legacy service, each only for connections no filter chain took (access-log.ts
 *   listenerLog); none under the mesh config's disableEnvoyListenerLog. The other sidecar listeners get none, as
 *   in istiod.
 * - Where no Telemetry says anything of tracing (or logging) and defaultProviders name none, the mesh config's own
 *   settings apply as before (tracing.ts; access-log.ts: accessLogFile, enableEnvoyAccessLogService). Provider kinds mizzen does not generate give nothing.
 * Pure.
 */
import type { Config, Snapshot, TelemetryProvider } from '../../model/types.js';
import { resolveServiceRef } from '../../model/hosts.js';
import type { Proxy } from '../../model/proxy.js';
import { asArray, asObject, hasTargetRef, policySelector } from '../../model/selectors.js';
import { policyAttaches } from '../../model/policy-attachment.js';
import { rootNamespacesOf } from '../../model/root-namespaces.js';
import { proxyLabels, serviceCluster } from './context.js';
import { type Json, any } from './common.js';
import { HCM_FILTER, TCP_PROXY_FILTER, mapNetworkFilters } from './filters.js';
import { isTracer, meshZipkin, tracerTracing } from './tracing.js';
import { proxyTracingOf, spanServiceName, spanTags } from './span-tags.js';
import { grpcAccessLog, legacyAlsLogs, listenerLog, meshAccessLog, providerAccessLog } from './access-log.js';
import type { NamedResource } from './types.js';

type Mode = 'CLIENT' | 'SERVER';

const namespaceWide = (t: Config): boolean => Object.keys(policySelector(t.spec)).length === 0 && !hasTargetRef(t.spec);

/**
 * The Telemetry resources that apply to a workload (namespace, labels), in the order they compose; `roots`: the root
 * namespaces. `sorted` is in the snapshot's order (compareConfigs: oldest first), which the snapshot already keeps.
 */
export function applicableTelemetries(sorted: readonly Config[], namespace: string, labels: Readonly<Record<string, string>>, roots: readonly string[]): Config[] {
  if (sorted.length === 0) return [];
  const out: Config[] = [];
  const root = roots.find((ns) => sorted.some((t) => t.namespace === ns && namespaceWide(t)));
  const mesh = root === undefined ? undefined : sorted.find((t) => t.namespace === root && namespaceWide(t));
  if (mesh) out.push(mesh);
  if (namespace !== root) {
    const ns = sorted.find((t) => t.namespace === namespace && namespaceWide(t));
    if (ns) out.push(ns);
  }
  for (const t of sorted) if (t.namespace === namespace && !namespaceWide(t) && policyAttaches(t.spec, policySelector(t.spec), t.namespace, namespace, labels)) out.push(t);
  return out;
}

const modeOf = (entry: Json): string => (typeof asObject(entry.match).mode === 'string' ? asObject(entry.match).mode : 'CLIENT_AND_SERVER');
const forMode = (entry: Json, mode: Mode): boolean => modeOf(entry) === 'CLIENT_AND_SERVER' || modeOf(entry) === mode;
const providerNames = (entry: Json): string[] => asArray(entry.providers).flatMap((p) => (typeof asObject(p).name === 'string' && asObject(p).name ? [asObject(p).name as string] : []));
const entries = (t: Config, field: 'tracing' | 'accessLogging'): Json[] => asArray(asObject(t.spec)[field]).filter((e): e is Json => typeof e === 'object' && e !== null && !Array.isArray(e));

/** One direction's tracing, as the Telemetry resources compose it. */
export interface TracingSpec {
  provider?: string;
  disabled: boolean;
  sampling?: number;
  customTags?: Record<string, unknown>;
  useRequestIdForTraceSampling: boolean;
  /** Istio's own span tags (serviceTags). */
  enableIstioTags: boolean;
}

/** The composed tracing of one direction; undefined when neither a Telemetry nor defaultProviders say anything of it. */
export function tracingSpec(applicable: readonly Config[], defaults: readonly string[], mode: Mode): TracingSpec | undefined {
  const all = applicable.flatMap((t) => entries(t, 'tracing'));
  if (all.length === 0 && defaults.length === 0) return undefined;
  const spec: TracingSpec = { disabled: false, useRequestIdForTraceSampling: true, enableIstioTags: true, ...(defaults[0] ? { provider: defaults[0] } : {}) };
  for (const e of all.filter((x) => forMode(x, mode))) {
    const [first] = providerNames(e);
    if (first) spec.provider = first;
    if (typeof e.disableSpanReporting === 'boolean') spec.disabled = e.disableSpanReporting;
    if (typeof e.randomSamplingPercentage === 'number') spec.sampling = e.randomSamplingPercentage;
    if (e.customTags !== undefined) spec.customTags = asObject(e.customTags);
    if (typeof e.useRequestIdForTraceSampling === 'boolean') spec.useRequestIdForTraceSampling = e.useRequestIdForTraceSampling;
    if (typeof e.enableIstioTags === 'boolean') spec.enableIstioTags = e.enableIstioTags;
  }
  return spec;
}

/** One access log provider of a direction: off, or on with an optional filter expression. */
export interface LogSpec {
  disabled: boolean;
  filter?: string;
}

/**
 * The composed access logging of one direction, by provider name; undefined when neither a Telemetry nor
 * defaultProviders say anything of it. Istio's rules: the providers in scope are those that the last resource
 * naming any (for this direction) names, else the defaults; each filter is the last one given for its provider;
 * then every entry, in order, sets its providers (or, without any, the ones the entry before it had) on or off.
 */
export function loggingSpec(applicable: readonly Config[], defaults: readonly string[], mode: Mode): Map<string, LogSpec> | undefined {
  const levels = applicable.map((t) => entries(t, 'accessLogging')).filter((l) => l.length > 0);
  if (levels.length === 0 && defaults.length === 0) return undefined;
  const out = new Map<string, LogSpec>();
  if (levels.length === 0) {
    for (const name of defaults) out.set(name, { disabled: false });
    return out;
  }
  let inScope: readonly string[] = defaults;
  const filters = new Map<string, string | undefined>();
  for (const level of levels) {
    const named = new Set<string>();
    for (const e of level.filter((x) => forMode(x, mode))) {
      for (const name of providerNames(e)) {
        named.add(name);
        const expression = asObject(e.filter).expression;
        filters.set(name, typeof expression === 'string' && expression !== '' ? expression : undefined);
      }
    }
    if (named.size > 0) inScope = [...named];
  }
  const scope = new Set(inScope);
  let parent: readonly string[] = defaults;
  for (const level of levels) {
    for (const e of level) {
      const named = providerNames(e);
      const names = named.length > 0 ? named : parent;
      parent = names;
      if (!forMode(e, mode)) continue;
      for (const name of names) {
        if (!scope.has(name)) continue;
        const filter = filters.get(name);
        out.set(name, e.disabled === true ? { disabled: true } : { disabled: false, ...(filter ? { filter } : {}) });
      }
    }
  }
  return out;
}

/** What one direction's connection managers, tcp_proxies and logging listeners get. */
interface Direction {
  /** access_log entries of connection managers, of tcp_proxies and of the listeners that log (listener-level); undefined: none. */
  logs?: Logs;
  /** HttpConnectionManager.tracing; undefined: none. */
  tracing?: Json;
  /** HttpConnectionManager.request_id_extension, when a Telemetry turns off request-id-based sampling. */
  requestId?: Json;
}

/** One direction's tracer (and request id setting): the Telemetry's provider, else the mesh config's collector. */
function tracingOf(snap: Snapshot, proxy: Proxy, labels: Readonly<Record<string, string>>, applicable: readonly Config[], mode: Mode): Pick<Direction, 'tracing' | 'requestId'> {
  const telemetry = snap.mesh.telemetry;
  const spec = tracingSpec(applicable, telemetry?.defaultProviders.tracing ?? [], mode);
  if (spec === undefined) {
    const legacy = snap.mesh.tracing;
    // istiod's fallback to the mesh config: Istio's tags and the ProxyConfig's custom tags.
    return legacy ? { tracing: tracerTracing(snap, proxy, meshZipkin(legacy.collector), { sampling: legacy.sampling, customTags: spanTags(snap, proxy, labels, proxyTracingOf(snap, proxy)?.enableIstioTags !== false), serviceName: spanServiceName(labels, proxy) }) } : {};
  }
  const provider = spec.provider === undefined ? undefined : telemetry?.providers[spec.provider.toLowerCase()];
  if (spec.disabled || !isTracer(provider)) return {};
  const tags = spanTags(snap, proxy, labels, spec.enableIstioTags, spec.customTags);
  const tracing = tracerTracing(snap, proxy, provider, { sampling: spec.sampling ?? telemetry?.sampling ?? 1, customTags: tags, serviceName: spanServiceName(labels, proxy) });
  if (!tracing || spec.useRequestIdForTraceSampling) return { tracing };
  return { tracing, requestId: { typed_config: any('envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig', { use_request_id_for_trace_sampling: { value: false } }) } };
}

type Logs = { http: Json[]; tcp: Json[]; listener: Json[] };

type LogProvider = Extract<TelemetryProvider, { kind: 'file' | 'grpc-log' }>;
const isLogProvider = (p: TelemetryProvider | undefined): p is LogProvider => p?.kind === 'file' || p?.kind === 'grpc-log';

/**
 * One direction's access logs: the Telemetry's log providers left on (file logs for both kinds of filter; gRPC
 * access log services for theirs, when the proxy has the service's cluster), else the mesh config's accessLogFile.
 */
function logsOf(snap: Snapshot, proxy: Proxy, applicable: readonly Config[], mode: Mode): Direction['logs'] {
  const telemetry = snap.mesh.telemetry;
  const logging = loggingSpec(applicable, telemetry?.defaultProviders.accessLogging ?? [], mode);
  // Only log providers make Envoy logs; a Telemetry naming none of them leaves the mesh config's log, as in Istio.
  const named = [...(logging ?? [])]
    .map(([name, spec]) => ({ name, spec, provider: telemetry?.providers[name.toLowerCase()] }))
    .filter((x): x is typeof x & { provider: LogProvider } => isLogProvider(x.provider))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (named.length === 0) {
    const file = meshAccessLog(snap.mesh.accessLog);
    const als = snap.mesh.envoyAccessLogService ? legacyAlsLogs() : undefined;
    if (!file && !als) return undefined;
    // The file first, then the service, in istiod's order.
    const listener = [...(file ? [listenerLog(file)] : []), ...(als ? [als.listener] : [])];
    return { http: [...(file ? [file] : []), ...(als ? [als.http] : [])], tcp: [...(file ? [file] : []), ...(als ? [als.tcp] : [])], listener };
  }
  const out: Logs = { http: [], tcp: [], listener: [] };
  for (const { spec, provider } of named) {
    if (spec.disabled) continue;
    if (provider.kind === 'file') {
      const log = providerAccessLog(provider, spec.filter);
      out.http.push(log);
      out.tcp.push(log);
      out.listener.push(listenerLog(log));
      continue;
    }
    // As istiod: a service the proxy has no cluster for gets no log (Envoy would refuse the listener).
    const collector = serviceCluster(snap, proxy, resolveServiceRef(provider.service, proxy.namespace, snap.domainSuffix), provider.port);
    if (!collector) continue;
    const log = grpcAccessLog(provider, collector, spec.filter);
    out[provider.protocol].push(log);
    out.listener.push(listenerLog(log));
  }
  return out.http.length > 0 || out.tcp.length > 0 || out.listener.length > 0 ? out : undefined;
}

function direction(snap: Snapshot, proxy: Proxy, labels: Readonly<Record<string, string>>, applicable: readonly Config[], mode: Mode): Direction {
  const logs = logsOf(snap, proxy, applicable, mode);
  return { ...tracingOf(snap, proxy, labels, applicable, mode), ...(logs ? { logs } : {}) };
}

const LOGGED = new Set([HCM_FILTER, TCP_PROXY_FILTER]);

function applyTo(filter: Json, d: Direction): Json {
  if (!LOGGED.has(filter?.name) || typeof filter.typed_config !== 'object') return filter;
  const http = filter.name === HCM_FILTER;
  const logs = d.logs?.[http ? 'http' : 'tcp'];
  if (!logs?.length && !(http && d.tracing)) return filter;
  return {
    ...filter,
    typed_config: {
      ...filter.typed_config,
      ...(logs?.length ? { access_log: logs } : {}),
      ...(http && d.tracing ? { tracing: d.tracing, ...(d.requestId ? { request_id_extension: d.requestId } : {}) } : {}),
    },
  };
}

/** The sidecar listeners istiod gives a listener-level log; a gateway's listeners all have one. */
const SIDECAR_LISTENER_LOGGED = new Set(['virtualOutbound', 'virtualInbound']);

/**
 * The listeners with each connection manager's and tcp_proxy's access logs and tracing, and the listener-level
 * logs of those that have them; as they were when there are none.
 */
export function withTelemetry(snap: Snapshot, proxy: Proxy, listeners: NamedResource[]): NamedResource[] {
  const labels = proxyLabels(snap, proxy);
  const applicable = snap.telemetries.length === 0 ? [] : applicableTelemetries(snap.telemetries, proxy.namespace, labels, rootNamespacesOf(snap.mesh));
  const client = direction(snap, proxy, labels, applicable, 'CLIENT');
  // Gateways are clients only, as in Istio; a sidecar serves on virtualInbound.
  const gateway = proxy.type === 'router';
  const server = gateway ? client : direction(snap, proxy, labels, applicable, 'SERVER');
  const none = (d: Direction) => !d.logs && !d.tracing;
  if (none(client) && none(server)) return listeners;
  const of = (listener: string): Direction => (!gateway && listener === 'virtualInbound' ? server : client);
  const applied = mapNetworkFilters(listeners, (filter, listener) => applyTo(filter, of(listener)));
  if (snap.mesh.disableEnvoyListenerLog) return applied;
  return applied.map((l) => {
    const logs = gateway || SIDECAR_LISTENER_LOGGED.has(l.name) ? of(l.name).logs?.listener : undefined;
    return logs?.length ? { name: l.name, resource: { ...(l.resource as Json), access_log: logs } } : l;
  });
}
