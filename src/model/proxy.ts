/**
 * A connected proxy as the generators see it, parsed from the xDS Node it sends.
 * Node ids are Istio's: `<type>~<ip>~<pod>.<namespace>~<namespace>.svc.<suffix>`,
 * e.g. `sidecar~10.1.2.3~reviews-v1-abc.default~default.svc.cluster.local`.
 * Proxyless gRPC clients say so with node metadata `GENERATOR: grpc`. PROXY_CONFIG, the proxy's effective
 * ProxyConfig as Istio's agent (and mizzen's gateway bootstrap) sends it, is read for the fields the generators take
 * from it; a value there that does not read is left out with a warning, never a refused stream.
 */
import { type Result, ok, fail } from '../core/result.js';
import type { SpiffeIdentity } from '../core/spiffe.js';
import { isObject } from '../core/object.js';
import { shown } from '../core/shown.js';
import { readGatewayTopology, type GatewayTopology } from './gateway-topology.js';
import { readProxyHeaders, type ProxyHeaders } from './proxy-headers.js';
import { readProxyTracing, type ProxyTracing } from './proxy-tracing.js';
import type { MeshSettings } from './types.js';

export type ProxyType = 'sidecar' | 'router';
export type Generator = 'envoy' | 'grpc';

export interface Proxy {
  /** The node id as sent. */
  id: string;
  type: ProxyType;
  generator: Generator;
  ip: string;
  /** Pod (or workload) name, without the namespace. */
  podName: string;
  namespace: string;
  /** Workload labels, from node metadata LABELS (Istio's key), else empty until the registry fills them in. */
  labels: Record<string, string>;
  /** Raw node metadata (google.protobuf.Struct decoded to plain values). */
  metadata: Record<string, unknown>;
  /** node.cluster, the proxy's service cluster (the service its spans name), when the node says. */
  cluster?: string;
  /** node.locality as `region/zone/subzone`, when the node says. */
  locality?: string;
  /**
   * Who the proxy proved to be: the identity of the client certificate it presented on xDS over TLS (signed by the
   * mesh CA, naming the proxy's namespace). Absent on plaintext xDS or without a certificate.
   */
  identity?: SpiffeIdentity;
  /**
   * The node's PROXY_CONFIG, the fields mizzen reads: when present it is the proxy's whole ProxyConfig, so a field
   * it leaves out is unset (istiod's ProxyConfigOrDefault); absent (no PROXY_CONFIG, or one ignored), the mesh
   * config's defaultConfig applies.
   */
  proxyConfig?: NodeProxyConfig;
  /** What of the node was ignored, and why (shown by /debug/syncz). */
  warnings?: string[];
}

export interface NodeProxyConfig {
  gatewayTopology?: GatewayTopology;
  proxyHeaders?: ProxyHeaders;
  /** tracing's customTags and maxPathTagLength. */
  tracing?: ProxyTracing;
}

/**
 * The proxy's ProxyConfig, the fields the generators read: its node's PROXY_CONFIG when it sent one (which then
 * decides whole: a field it leaves out is unset), else the mesh config's defaultConfig (istiod's ProxyConfigOrDefault).
 */
export function proxyConfigOf(mesh: MeshSettings, proxy: Proxy): NodeProxyConfig {
  if (proxy.proxyConfig) return proxy.proxyConfig;
  let pc = meshProxyConfigs.get(mesh);
  if (pc === undefined) {
    pc = { ...(mesh.gatewayTopology && { gatewayTopology: mesh.gatewayTopology }), ...(mesh.proxyHeaders && { proxyHeaders: mesh.proxyHeaders }), ...(mesh.proxyTracing && { tracing: mesh.proxyTracing }) };
    meshProxyConfigs.set(mesh, pc);
  }
  return pc;
}

/** The mesh's defaultConfig as a NodeProxyConfig, once per snapshot's settings (generators ask for it per resource). */
const meshProxyConfigs = new WeakMap<MeshSettings, NodeProxyConfig>();

export interface XdsNode {
  id?: string;
  cluster?: string;
  metadata?: Record<string, unknown> | null;
  locality?: { region?: string; zone?: string; sub_zone?: string } | null;
}

const stringMap = (v: unknown): Record<string, string> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
};

/** Parses an xDS node; errors name what is wrong so the stream can be refused with a clear message. */
export function parseNode(node: XdsNode | undefined | null): Result<Proxy> {
  if (!node || typeof node.id !== 'string' || node.id === '') return fail('node.id: required');
  const parts = node.id.split('~');
  if (parts.length !== 4) return fail(`node.id: "${node.id}" is not of the form <type>~<ip>~<pod>.<namespace>~<namespace>.svc.<domain>`);
  const [type, ip, podDotNs, dnsDomain] = parts as [string, string, string, string];
  if (type !== 'sidecar' && type !== 'router') return fail(`node.id: proxy type "${type}" must be sidecar or router`);
  const metadata = node.metadata ?? {};
  const dot = podDotNs.lastIndexOf('.');
  const podName = dot > 0 ? podDotNs.slice(0, dot) : podDotNs;
  const namespace = (typeof metadata.NAMESPACE === 'string' && metadata.NAMESPACE) || (dot > 0 ? podDotNs.slice(dot + 1) : dnsDomain.split('.')[0]) || 'default';
  const generator: Generator = metadata.GENERATOR === 'grpc' ? 'grpc' : 'envoy';
  const l = node.locality;
  const locality = l && (l.region || l.zone || l.sub_zone) ? [l.region ?? '', l.zone ?? '', l.sub_zone ?? ''].join('/').replace(/\/+$/, '') : undefined;
  const warnings: string[] = [];
  const proxyConfig = metadata.PROXY_CONFIG === undefined || metadata.PROXY_CONFIG === null ? undefined : readProxyConfig(metadata.PROXY_CONFIG, warnings);
  return ok({
    id: node.id,
    type,
    generator,
    ip,
    podName,
    namespace,
    labels: stringMap(metadata.LABELS),
    metadata,
    ...(typeof node.cluster === 'string' && node.cluster !== '' ? { cluster: node.cluster } : {}),
    ...(locality ? { locality } : {}),
    ...(proxyConfig && { proxyConfig }),
    ...(warnings.length > 0 && { warnings }),
  });
}

/** PROXY_CONFIG's fields that mizzen reads; undefined (with a warning) when it, or one of them, does not read. */
function readProxyConfig(pc: unknown, warnings: string[]): NodeProxyConfig | undefined {
  const at = 'node.metadata.PROXY_CONFIG';
  if (!isObject(pc)) {
    warnings.push(`${at}: must be a mapping (a ProxyConfig), got ${shown(pc)}; ignored, the mesh config's defaultConfig applies`);
    return undefined;
  }
  const out: NodeProxyConfig = {};
  const fields = [
    ['gatewayTopology', pc.gatewayTopology ?? pc.gateway_topology, readGatewayTopology],
    ['proxyHeaders', pc.proxyHeaders ?? pc.proxy_headers, readProxyHeaders],
    ['tracing', pc.tracing, readProxyTracing],
  ] as const;
  let ignored = false;
  for (const [name, raw, read] of fields) {
    if (raw === undefined || raw === null) continue;
    const r = read(raw);
    if (!r.ok) {
      warnings.push(...r.errors.map((e) => `${at}.${name}${isObject(raw) ? '.' : ': '}${e}; PROXY_CONFIG ignored, the mesh config's defaultConfig applies`));
      ignored = true;
      continue;
    }
    if (r.unknown.length > 0) warnings.push(`${at}.${name}: ${r.unknown.join(', ')}: unknown field, ignored`);
    // A custom tag that names no source (Istio's other tracing fields, its tracer and sampling, are not read per proxy).
    if ('warnings' in r) warnings.push(...r.warnings.map((w) => `${at}.${name}.${w}`));
    (out as Record<string, unknown>)[name] = r.value;
  }
  return ignored ? undefined : out;
}
