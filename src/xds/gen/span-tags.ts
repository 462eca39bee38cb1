/**
 * What a proxy's spans say about it, as istiod composes it for a connection manager's tracing: Istio's own tags
 * (canonical service and revision, namespace, mesh and cluster ids), then the custom tags (a Telemetry's when its
 * tracing names any, else the proxy's ProxyConfig tracing.customTags: never both), sorted by tag; the longest path
 * the http.url tag keeps (a provider's maxTagLength, else ProxyConfig tracing.maxPathTagLength); and the service
 * name (the proxy's node cluster). The proxy's ProxyConfig is its node's PROXY_CONFIG, else the mesh config's
 * defaultConfig (model/proxy.ts). Envoy keeps the first tag of a name and drops the others; istiod lists Istio's
 * own first, so a custom tag that reuses one of their names is dropped here, and Envoy gets each name once. Pure.
 */
import type { Snapshot } from '../../model/types.js';
import { type Proxy, proxyConfigOf } from '../../model/proxy.js';
import type { ProxyCustomTag, ProxyTracing } from '../../model/proxy-tracing.js';
import { asObject } from '../../model/selectors.js';
import { Labels } from '../../core/constants.js';
import { serviceCluster } from '../../bootstrap/service-cluster.js';
import type { Json } from './common.js';

type Labelled = Readonly<Record<string, string>>;

const meta = (proxy: Proxy, key: string): string | undefined => (typeof proxy.metadata[key] === 'string' && proxy.metadata[key] ? (proxy.metadata[key] as string) : undefined);

/** The tags istiod puts on every span of a proxy: its canonical service and revision, namespace, mesh and cluster. */
export function istioTags(labels: Labelled, proxy: Proxy): Json[] {
  const literal = (tag: string, value: string): Json => ({ tag, literal: { value } });
  return [
    literal('istio.canonical_revision', labels[Labels.canonicalRevision] || 'latest'),
    literal('istio.canonical_service', labels[Labels.canonicalName] || 'unknown'),
    literal('istio.mesh_id', meta(proxy, 'MESH_ID') ?? 'unknown'),
    literal('istio.namespace', proxy.namespace),
    literal('istio.cluster_id', meta(proxy, 'CLUSTER_ID') ?? 'unknown'),
  ];
}

/** Envoy's CustomTag sources from a tag's (Telemetry's or ProxyConfig's, which share literal, environment, header). */
const TAG_SOURCES: Record<string, (v: Json) => Json | undefined> = {
  literal: (v) => (typeof v.value === 'string' && v.value ? { literal: { value: v.value } } : undefined),
  environment: (v) => (typeof v.name === 'string' && v.name ? { environment: { name: v.name, default_value: typeof v.defaultValue === 'string' ? v.defaultValue : '' } } : undefined),
  header: (v) => (typeof v.name === 'string' && v.name ? { request_header: { name: v.name, default_value: typeof v.defaultValue === 'string' ? v.defaultValue : '' } } : undefined),
};

/**
 * Envoy CustomTags from a map of tags (a Telemetry's customTags, or a checked ProxyConfig's), by tag name; tags
 * without a usable source, and kinds mizzen does not generate (a Telemetry's formatter), are left out.
 */
export function customTags(tags: Readonly<Record<string, unknown>> | Readonly<Record<string, ProxyCustomTag>> | undefined): Json[] {
  const out: Json[] = [];
  for (const tag of Object.keys(tags ?? {}).sort()) {
    if (tag === '') continue;
    const t = asObject((tags as Record<string, unknown>)[tag]);
    for (const [kind, build] of Object.entries(TAG_SOURCES)) {
      const built = t[kind] === undefined ? undefined : build(asObject(t[kind]));
      if (built) {
        out.push({ tag, ...built });
        break;
      }
    }
  }
  return out;
}

/** The proxy's ProxyConfig tracing (customTags, maxPathTagLength); undefined when it has none. */
export const proxyTracingOf = (snap: Snapshot, proxy: Proxy): ProxyTracing | undefined => proxyConfigOf(snap.mesh, proxy).tracing;

/**
 * A connection manager's span tags: Istio's (unless `istio` is false), then `telemetryTags` (a Telemetry's
 * customTags) when they name any, else the proxy's ProxyConfig's; sorted by tag, each name once (the first kept).
 */
export function spanTags(snap: Snapshot, proxy: Proxy, labels: Labelled, istio: boolean, telemetryTags?: Readonly<Record<string, unknown>>): Json[] {
  const custom = telemetryTags && Object.keys(telemetryTags).length > 0 ? customTags(telemetryTags) : customTags(proxyTracingOf(snap, proxy)?.customTags);
  const all = [...(istio ? istioTags(labels, proxy) : []), ...custom];
  // Stable: of two tags of one name, Istio's (listed first) stays first, and Envoy would keep that one.
  all.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  return all.filter((t, i) => i === 0 || all[i - 1]!.tag !== t.tag);
}

/** The longest path the http.url tag keeps: the provider's own maxTagLength, else ProxyConfig's; undefined: Envoy's 256. */
export function maxPathTagLength(snap: Snapshot, proxy: Proxy, providerMax: number | undefined): number | undefined {
  return providerMax || proxyTracingOf(snap, proxy)?.maxPathTagLength || undefined;
}

/**
 * The service the proxy's spans name: its node cluster, as istiod passes it to OpenTelemetry (and as Envoy's Zipkin
 * tracer reports it itself); for a node without one, the cluster the injector would have named (default scheme).
 */
export function spanServiceName(labels: Labelled, proxy: Proxy): string {
  return proxy.cluster ?? serviceCluster(undefined, labels, '', proxy.namespace);
}

/** What of the proxy (not of the snapshot) decides its span tags, for proxyScope: empty when it follows the mesh's. */
export function tracingScope(snap: Snapshot, proxy: Proxy): string {
  if (!proxy.proxyConfig) return '';
  const own = JSON.stringify(proxy.proxyConfig.tracing ?? {});
  return own === JSON.stringify(snap.mesh.proxyTracing ?? {}) ? '' : own;
}
