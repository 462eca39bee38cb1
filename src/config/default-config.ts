/**
 * Istio's meshConfig.defaultConfig, the ProxyConfig every proxy starts from, in mizzen's mesh config. Its fields
 * that mizzen applies at injection stay here (concurrency, proxyMetadata, interceptionMode, terminationDrainDuration,
 * drainDuration, envoyAccessLogService, tracingServiceName: a pod's proxy.istio.io/config and ProxyConfig resources
 * go over them), and gatewayTopology, proxyHeaders and tracing's customTags and maxPathTagLength, which a proxy's
 * bootstrap carries (a pod's annotation goes over them as in Istio) and which the xDS server takes for a proxy whose
 * node carries no PROXY_CONFIG; those that mizzen keeps at the top of its mesh config are moved there
 * (holdApplicationUntilProxyStarts, discoveryAddress as xdsAddress, tracing's zipkin address and sampling), and
 * saying one of them in both places is an error. Istio's other ProxyConfig fields are accepted with a warning that
 * mizzen does not apply them (config/istio-fields.ts); a key that is no ProxyConfig field is an error. Pure.
 */
import { isObject } from '../core/object.js';
import { shown } from '../core/shown.js';
import { proxyConfigOf } from '../inject/proxy-config.js';
import { agentEnvWarnings } from '../inject/agent-env.js';
import type { GatewayTopology } from '../model/gateway-topology.js';
import type { ProxyHeaders } from '../model/proxy-headers.js';
import type { RemoteService } from './remote-service.js';
import { readProxyTracing, saysTracing, type ProxyTracing } from '../model/proxy-tracing.js';
import type { TracingServiceName } from '../bootstrap/service-cluster.js';
import { ISTIO_PROXY_CONFIG_FIELDS, ISTIO_TRACING_FIELDS, sortIstioFields } from './istio-fields.js';

/** What of defaultConfig the injector reads (inject/proxy-options.ts). */
export interface DefaultProxyConfig {
  /** Envoy worker threads; 0 leaves the choice to Envoy. */
  concurrency?: number;
  /** istio-proxy's environment; ISTIO_META_* entries also become node metadata. */
  proxyMetadata?: Record<string, string>;
  interceptionMode?: 'REDIRECT' | 'NONE';
  /** What stands in front of gateways (model/gateway-topology.ts): their bootstraps carry it, the xDS server applies it. */
  gatewayTopology?: GatewayTopology;
  /** Which headers proxies add or keep (model/proxy-headers.ts): bootstraps carry a pod's own, the xDS server applies them. */
  proxyHeaders?: ProxyHeaders;
  /** How long a terminating proxy drains, and Envoy's drain time, in ms (inject/drain.ts). */
  terminationDrainDuration?: number;
  drainDuration?: number;
  /** The legacy gRPC access log service: injected bootstraps get its envoy_accesslog_service cluster. */
  envoyAccessLogService?: RemoteService;
  /**
   * tracing's customTags and maxPathTagLength (model/proxy-tracing.ts): the xDS server applies them to proxies whose
   * node carries no PROXY_CONFIG; bootstraps carry a pod's own (its annotation's tracing replaces this whole).
   */
  tracing?: ProxyTracing;
  /** How injected proxies' service cluster is chosen (bootstrap/service-cluster.ts); absent: APP_LABEL_AND_NAMESPACE. */
  tracingServiceName?: TracingServiceName;
}

/** The top-level fields defaultConfig may set instead, by their ProxyConfig names. */
const MOVED = { holdApplicationUntilProxyStarts: 'holdApplicationUntilProxyStarts', discoveryAddress: 'xdsAddress' } as const;

/** The part of the mesh config that defaultConfig's moved fields land in. */
export interface MovedFields {
  holdApplicationUntilProxyStarts: boolean;
  xdsAddress: string;
  tracing: { zipkin: { address: string }; sampling: number };
}

/**
 * Reads `input` (the user's defaultConfig) into `mesh` (the mesh config being resolved): returns the injector's part,
 * sets the moved fields. `given` holds the top-level keys the user set; errors and warnings are pushed with their path.
 */
export function readDefaultConfig(input: unknown, mesh: MovedFields, given: ReadonlySet<string>, errors: string[], warnings: string[] = []): DefaultProxyConfig {
  if (input === undefined || input === null) return {};
  if (!isObject(input)) {
    errors.push(`defaultConfig: must be a mapping, got ${shown(input)}`);
    return {};
  }
  const { tracing, ...all } = input;
  const proxyTracing = tracing === undefined || tracing === null ? undefined : readTracing(tracing, mesh, given, errors, warnings);
  const istio = sortIstioFields(all, () => false, ISTIO_PROXY_CONFIG_FIELDS, 'defaultConfig.', errors, warnings);
  const rest = Object.fromEntries(Object.entries(all).filter(([k]) => !istio.has(k)));
  const read = proxyConfigOf(rest);
  if (!read.ok) {
    errors.push(...read.errors.map((e) => `defaultConfig.${e}`));
    return {};
  }
  for (const name of read.value.ignored) errors.push(`defaultConfig.${name}: unknown field (not a field of Istio's ProxyConfig)`);
  warnings.push(...(read.value.warnings ?? []).map((w) => `defaultConfig.${w}`));
  const o = read.value.overrides;
  warnings.push(...agentEnvWarnings(Object.keys(o.proxyMetadata ?? {}), 'defaultConfig.proxyMetadata'));
  for (const [from, to] of Object.entries(MOVED) as Array<[keyof typeof MOVED, (typeof MOVED)[keyof typeof MOVED]]>) {
    const value = o[from];
    if (value === undefined) continue;
    if (given.has(to) && value !== mesh[to]) errors.push(`defaultConfig.${from}: ${shown(value)} disagrees with ${to}: ${shown(mesh[to])} (set one of them)`);
    else (mesh as unknown as Record<string, unknown>)[to] = value;
  }
  if (o.interceptionMode === 'TPROXY') errors.push('defaultConfig.interceptionMode: TPROXY is not supported by mizzen; use REDIRECT or NONE');
  return {
    ...(o.concurrency !== undefined && { concurrency: o.concurrency }),
    ...(o.proxyMetadata && { proxyMetadata: o.proxyMetadata }),
    ...(o.interceptionMode === 'REDIRECT' || o.interceptionMode === 'NONE' ? { interceptionMode: o.interceptionMode } : {}),
    ...(o.gatewayTopology && { gatewayTopology: o.gatewayTopology }),
    ...(o.proxyHeaders && { proxyHeaders: o.proxyHeaders }),
    ...(o.terminationDrainDuration !== undefined && { terminationDrainDuration: o.terminationDrainDuration }),
    ...(o.drainDuration !== undefined && { drainDuration: o.drainDuration }),
    ...(o.envoyAccessLogService && { envoyAccessLogService: o.envoyAccessLogService }),
    ...(proxyTracing && { tracing: proxyTracing }),
    ...(o.tracingServiceName && { tracingServiceName: o.tracingServiceName }),
  };
}

/**
 * defaultConfig.tracing: the Zipkin collector's address and the sampling percentage, which mizzen keeps as `tracing`
 * (so neither may be said at the top of the mesh config too), and customTags and maxPathTagLength, which stay here;
 * returns those two when they say anything.
 */
function readTracing(tracing: unknown, mesh: MovedFields, given: ReadonlySet<string>, errors: string[], warnings: string[]): ProxyTracing | undefined {
  const at = 'defaultConfig.tracing';
  if (!isObject(tracing)) {
    errors.push(`${at}: must be a mapping, got ${shown(tracing)}`);
    return undefined;
  }
  const moved = (k: string): boolean => k === 'zipkin' || k === 'sampling';
  const read = readProxyTracing(tracing);
  if (!read.ok) errors.push(...read.errors.map((e) => `${at}.${e}`));
  else {
    // The mesh config is read strictly: a key below a tag that is no field of Istio's is an error.
    for (const path of read.unknown) errors.push(`${at}.${path}: unknown field`);
    warnings.push(...read.warnings.map((w) => `${at}.${w}`));
  }
  const others = read.ok ? read.others.filter((k) => !moved(k)) : [];
  const istio = sortIstioFields(Object.fromEntries(others.map((k) => [k, tracing[k]])), () => false, ISTIO_TRACING_FIELDS, `${at}.`, errors, warnings);
  for (const k of others) if (!istio.has(k)) errors.push(`${at}.${k}: unknown field`);
  if (Object.keys(tracing).some(moved) && given.has('tracing')) {
    errors.push(`${at}: tracing is set at the top of the mesh config too (set zipkin and sampling in one of them)`);
    return read.ok && saysTracing(read.value) ? read.value : undefined;
  }
  const zipkin = tracing.zipkin;
  if (zipkin !== undefined) {
    if (!isObject(zipkin) || typeof zipkin.address !== 'string' || Object.keys(zipkin).some((k) => k !== 'address')) errors.push(`${at}.zipkin: must be {address: host:port}`);
    else mesh.tracing = { ...mesh.tracing, zipkin: { address: zipkin.address } };
  }
  if (tracing.sampling !== undefined) {
    if (typeof tracing.sampling !== 'number') errors.push(`${at}.sampling: must be a number, got ${shown(tracing.sampling)}`);
    else mesh.tracing = { ...mesh.tracing, sampling: tracing.sampling };
  }
  return read.ok && saysTracing(read.value) ? read.value : undefined;
}
