/**
 * The per-pod knobs a user sets with annotations, read and validated in one place.
 * Every error names the annotation: `metadata.annotations["sidecar.istio.io/proxyCPU"]: "lots" is not a valid quantity`.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { KubeObject } from '../core/kube.js';
import type { MeshConfig, ResourceList } from '../config/mesh.js';
import { Annotations } from '../core/constants.js';
import { deepFreeze } from '../core/freeze.js';
import { shown } from '../core/shown.js';
import { type Result, ok } from '../core/result.js';
import { parseQuantity } from './quantity.js';
import type { AppliedProxyConfig } from './proxy-configs.js';
import { PROXY_OPTION_ANNOTATIONS, UNSUPPORTED_ANNOTATIONS, field, readProxyOptions, unsupportedWarnings, type ProxyOptions } from './proxy-options.js';
import type { Entry } from './user-volumes.js';
import type { GatewayTopology } from '../model/gateway-topology.js';
import type { ProxyHeaders } from '../model/proxy-headers.js';
import type { ProxyTracing } from '../model/proxy-tracing.js';
import type { TracingServiceName } from '../bootstrap/service-cluster.js';
import { PROXY_VOLUME } from './template.js';

export type InterceptionMode = 'REDIRECT' | 'NONE';
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'] as const;

export interface TrafficParams {
  includeOutboundIPRanges: string;
  excludeOutboundIPRanges: string;
  includeInboundPorts: string;
  excludeInboundPorts: string;
  includeOutboundPorts: string;
  excludeOutboundPorts: string;
  /** Interfaces whose traffic is never redirected (iptables -c). */
  excludeInterfaces: string;
}

export interface InjectParams {
  proxyImage: string;
  logLevel: string;
  resources: { requests?: ResourceList; limits?: ResourceList };
  native: boolean;
  /** Start istio-proxy first and hold the application containers until Envoy is ready (a regular sidecar only: a native one holds them by itself). */
  hold: boolean;
  interceptionMode: InterceptionMode;
  traffic: TrafficParams;
  /** istio-proxy's settings from proxy.istio.io/config and the other proxy annotations (proxy-options.ts). */
  proxy: ProxyOptions;
  /** Volumes added to the pod (sidecar.istio.io/userVolume). */
  volumes: readonly Entry[];
  /** ProxyConfig's gatewayTopology in effect for the pod; a gateway's bootstrap carries it as PROXY_CONFIG (proxy.ts). */
  gatewayTopology?: GatewayTopology;
  /** ProxyConfig's proxyHeaders in effect for the pod; its bootstrap carries them as PROXY_CONFIG (proxy.ts). */
  proxyHeaders?: ProxyHeaders;
  /** ProxyConfig's tracing customTags and maxPathTagLength in effect for the pod; its bootstrap carries them as PROXY_CONFIG (proxy.ts). */
  proxyTracing?: ProxyTracing;
  /** ProxyConfig's tracingServiceName in effect for the pod: how its service cluster is named (bootstrap/service-cluster.ts). */
  tracingServiceName?: TracingServiceName;
  /** For the admission response: annotations read but not applied. */
  warnings: readonly string[];
}


/** "*" or a comma-separated list; returns the normalised list (trimmed, empties dropped) or an error. */
function parseList(value: string, allowStar: boolean, item: (s: string) => string | undefined): { value: string } | { error: string } {
  const v = value.trim();
  if (allowStar && v === '*') return { value: '*' };
  const parts = v.split(',').map((p) => p.trim()).filter((p) => p !== '');
  for (const p of parts) {
    if (p === '*') return { error: '"*" must be the whole value' };
    const err = item(p);
    if (err) return { error: err };
  }
  return { value: parts.join(',') };
}

/** An interface name as Istio's injector accepts it (and `mizzen iptables -c` too). */
const interfaceItem = (i: string): string | undefined => (/^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/.test(i) ? undefined : `"${i}" is not an interface name (a letter, then letters, digits, '_', '.' or '-'; at most 15)`);

const portItem = (p: string): string | undefined => (/^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535 ? undefined : `"${p}" is not a port (1-65535)`);

export function cidrItem(c: string): string | undefined {
  const slash = c.indexOf('/');
  const ip = slash < 0 ? c : c.slice(0, slash);
  const bits = slash < 0 ? undefined : c.slice(slash + 1);
  const max = isIPv4(ip) ? 32 : isIPv6(ip) ? 128 : 0;
  if (max === 0) return `"${c}" is not an IP address or CIDR range`;
  if (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max)) return `"${c}" has an invalid prefix length (0-${max})`;
  return undefined;
}

const RESOURCE_ANNOTATIONS = [
  [Annotations.proxyCPU, 'requests', 'cpu'],
  [Annotations.proxyMemory, 'requests', 'memory'],
  [Annotations.proxyCPULimit, 'limits', 'cpu'],
  [Annotations.proxyMemoryLimit, 'limits', 'memory'],
] as const;

/** Every annotation readInjectParams reads or warns about: without any of them, a pod gets the mesh defaults. */
const PARAM_ANNOTATIONS: ReadonlySet<string> = new Set([
  Annotations.proxyImage,
  Annotations.logLevel,
  ...RESOURCE_ANNOTATIONS.map(([key]) => key),
  Annotations.nativeSidecar,
  Annotations.interceptionMode,
  Annotations.includeOutboundIPRanges,
  Annotations.excludeOutboundIPRanges,
  Annotations.includeInboundPorts,
  Annotations.excludeInboundPorts,
  Annotations.includeOutboundPorts,
  Annotations.excludeOutboundPorts,
  Annotations.excludeInterfaces,
  Annotations.kubevirtInterfaces,
  Annotations.rerouteVirtualInterfaces,
  ...PROXY_OPTION_ANNOTATIONS,
  ...UNSUPPORTED_ANNOTATIONS.keys(),
]);

/** The parameters of pods that set none of the annotations, per mesh config (treated as immutable), frozen. */
const meshDefaults = new WeakMap<MeshConfig, Result<InjectParams>>();

/**
 * Reads and validates the pod's injection annotations against the mesh defaults, with the ProxyConfig resources
 * that apply to the pod (`proxyConfigs`) over its proxy.istio.io/config. Pure. The result is read-only: pods without
 * any of these annotations or resources share one frozen value per mesh config.
 */
export function readInjectParams(pod: KubeObject, mesh: MeshConfig, proxyConfigs?: AppliedProxyConfig): Result<InjectParams> {
  const annotations = pod.metadata?.annotations ?? {};
  let any = proxyConfigs !== undefined;
  for (const k in annotations) if (PARAM_ANNOTATIONS.has(k) && annotations[k] !== undefined) any = true;
  if (!any) {
    let params = meshDefaults.get(mesh);
    if (params === undefined) meshDefaults.set(mesh, (params = deepFreeze(paramsFrom({}, { ...mesh, proxyResources: structuredClone(mesh.proxyResources) }, []))));
    return params;
  }
  const volumes = Array.isArray(pod.spec?.volumes) ? (pod.spec.volumes as Array<{ name?: unknown }>).map((v) => v?.name).filter((n): n is string => typeof n === 'string') : [];
  return paramsFrom(annotations, mesh, volumes, proxyConfigs);
}

function paramsFrom(annotations: Record<string, unknown>, mesh: MeshConfig, podVolumes: string[], proxyConfigs?: AppliedProxyConfig): Result<InjectParams> {
  const errors: string[] = [];
  const get = (key: string): string | undefined => {
    const v: unknown = annotations[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      errors.push(`${field(key)}: must be a string, got ${shown(v)}`);
      return undefined;
    }
    return v;
  };

  const proxyImage = get(Annotations.proxyImage) ?? mesh.proxyImage;
  if (proxyImage.trim() === '' || /\s/.test(proxyImage)) errors.push(`${field(Annotations.proxyImage)}: ${JSON.stringify(proxyImage)} is not an image reference`);

  const logLevel = get(Annotations.logLevel) ?? mesh.proxyLogLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    const where = annotations[Annotations.logLevel] !== undefined ? field(Annotations.logLevel) : 'mesh config proxyLogLevel';
    errors.push(`${where}: ${JSON.stringify(logLevel)} is not a log level (${LOG_LEVELS.join('|')})`);
  }

  // As Istio: any resource annotation replaces the mesh defaults entirely (requests and limits).
  let resources: InjectParams['resources'] = mesh.proxyResources; // read-only here: the template copies it per container
  if (RESOURCE_ANNOTATIONS.some(([key]) => annotations[key] !== undefined)) {
    resources = {};
    for (const [key, kind, res] of RESOURCE_ANNOTATIONS) {
      const v = get(key);
      if (v === undefined) continue;
      const q = parseQuantity(v);
      if (q === undefined) errors.push(`${field(key)}: ${JSON.stringify(v)} is not a valid quantity`);
      else if (q < 0) errors.push(`${field(key)}: ${JSON.stringify(v)} must not be negative`);
      else (resources[kind] ??= {})[res] = v;
    }
    for (const [key, kind, res] of RESOURCE_ANNOTATIONS) {
      if (kind !== 'requests') continue;
      const req = resources.requests?.[res];
      const lim = resources.limits?.[res];
      if (req !== undefined && lim !== undefined && parseQuantity(req)! > parseQuantity(lim)!) {
        errors.push(`${field(key)}: request ${JSON.stringify(req)} is greater than the limit ${JSON.stringify(lim)}`);
      }
    }
  }

  let native = mesh.nativeSidecar;
  const nativeValue = get(Annotations.nativeSidecar);
  if (nativeValue !== undefined) {
    if (nativeValue === 'true' || nativeValue === 'false') native = nativeValue === 'true';
    else errors.push(`${field(Annotations.nativeSidecar)}: ${JSON.stringify(nativeValue)} must be "true" or "false"`);
  }

  const proxyOptions = readProxyOptions(get, podVolumes, PROXY_VOLUME, errors, mesh.defaultConfig, proxyConfigs);

  let interceptionMode: InterceptionMode = mesh.defaultConfig.interceptionMode ?? 'REDIRECT';
  if (proxyOptions.interceptionMode === 'TPROXY') errors.push(`${field(Annotations.proxyConfig)}: interceptionMode TPROXY is not supported by mizzen; use REDIRECT or NONE`);
  else if (proxyOptions.interceptionMode !== undefined) interceptionMode = proxyOptions.interceptionMode;
  const mode = get(Annotations.interceptionMode);
  if (mode !== undefined) {
    // TPROXY is Istio's too, but `mizzen iptables` refuses it: deny here rather than admit a pod whose init fails.
    if (mode === 'REDIRECT' || mode === 'NONE') interceptionMode = mode;
    else if (mode === 'TPROXY') errors.push(`${field(Annotations.interceptionMode)}: "TPROXY" is not supported by mizzen; use REDIRECT or NONE`);
    else errors.push(`${field(Annotations.interceptionMode)}: ${JSON.stringify(mode)} must be REDIRECT or NONE`);
  }

  const traffic: TrafficParams = {
    includeOutboundIPRanges: mesh.includeOutboundIPRanges,
    excludeOutboundIPRanges: '',
    includeInboundPorts: '*',
    excludeInboundPorts: '',
    includeOutboundPorts: '',
    excludeOutboundPorts: '',
    excludeInterfaces: '',
  };
  const lists: Array<[keyof TrafficParams, string, boolean, (s: string) => string | undefined]> = [
    ['includeOutboundIPRanges', Annotations.includeOutboundIPRanges, true, cidrItem],
    ['excludeOutboundIPRanges', Annotations.excludeOutboundIPRanges, false, cidrItem],
    ['includeInboundPorts', Annotations.includeInboundPorts, true, portItem],
    ['excludeInboundPorts', Annotations.excludeInboundPorts, false, portItem],
    ['includeOutboundPorts', Annotations.includeOutboundPorts, false, portItem],
    ['excludeOutboundPorts', Annotations.excludeOutboundPorts, false, portItem],
    ['excludeInterfaces', Annotations.excludeInterfaces, false, interfaceItem],
  ];
  for (const [name, key, star, item] of lists) {
    const v = get(key);
    if (v === undefined) continue;
    const r = parseList(v, star, item);
    if ('error' in r) errors.push(`${field(key)}: ${r.error}`);
    else traffic[name] = r.value;
  }

  // Not redirected by `mizzen iptables`: deny rather than admit a pod whose VM traffic would bypass the proxy.
  for (const key of [Annotations.kubevirtInterfaces, Annotations.rerouteVirtualInterfaces]) {
    if (get(key) !== undefined) errors.push(`${field(key)}: redirecting traffic from virtual interfaces is not supported by mizzen`);
  }

  const hold = (proxyOptions.hold ?? mesh.holdApplicationUntilProxyStarts) && !native;
  const warnings = [...proxyOptions.warnings, ...unsupportedWarnings(annotations)];
  if (proxyOptions.proxy.accessLogService?.tls?.mode === 'ISTIO_MUTUAL' && !mesh.workloadCertificateSecrets) {
    warnings.push(`envoyAccessLogService.tlsSettings.mode: ISTIO_MUTUAL needs the pod's mesh certificate (mesh config workloadCertificateSecrets); without it the proxy streams its access logs in plaintext`);
  }
  return errors.length
    ? { ok: false, errors }
    : ok({ proxyImage, logLevel, resources, native, hold, interceptionMode, traffic, proxy: proxyOptions.proxy, volumes: proxyOptions.volumes, ...(proxyOptions.gatewayTopology && { gatewayTopology: proxyOptions.gatewayTopology }), ...(proxyOptions.proxyHeaders && { proxyHeaders: proxyOptions.proxyHeaders }), ...(proxyOptions.tracing && { proxyTracing: proxyOptions.tracing }), ...(proxyOptions.tracingServiceName && { tracingServiceName: proxyOptions.tracingServiceName }), warnings });
}
