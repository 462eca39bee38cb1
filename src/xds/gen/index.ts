/**
 * Entry point of the xDS generators: generate() returns the complete set of resources of one type for one proxy
 * (state of the world), proxyScope() names the class of proxies that get identical output. Pure.
 */
import type { Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { TypeUrls } from '../../core/constants.js';
import { inboundServices, labelsKey, proxyLabels } from './context.js';
import { failoverPriorityScope, localityMatters, proxyLocality } from './locality.js';
import type { NamedResource } from './types.js';
import { generateClusters, generateEndpoints, inboundPorts } from './clusters.js';
import { generateSidecarListeners } from './listeners.js';
import { generateSidecarRoutes } from './routes.js';
import { generateGatewayListeners, generateGatewayRoutes } from './gateway.js';
import { generateCredentialSecrets, mayReadCredentials } from './credentials.js';
import { generateConfigMapCaSecrets } from './configmap-cas.js';
import { generateGrpc } from './grpc/index.js';
import { withTelemetry } from './telemetry.js';
import { type PatchStatus, envoyFilterStatus as patchStatus, proxyMatchKey, withEnvoyFilters } from './envoyfilter/index.js';
import { certsScope, generateSecrets } from './mtls.js';
import { topologyScope } from './gateway-topology.js';
import { headersScope, withProxyHeaders, withRouteHeaders } from './proxy-headers.js';
import { selfDiscoveryScope } from './self-discovery.js';
import { tracingScope } from './span-tags.js';

/** One generated resource: plain object, snake_case fields, Any as `{ '@type': url, ...fields }`. */
export type { NamedResource } from './types.js';

/**
 * Every resource of `typeUrl` this proxy should have (SotW complete set). `names` = the proxy's subscribed names for
 * this type (undefined = wildcard); Envoy generators ignore it (the server filters), gRPC LDS needs it. Pure.
 */
export function generate(snap: Snapshot, proxy: Proxy, typeUrl: string, names?: readonly string[]): NamedResource[] {
  if (proxy.generator === 'grpc') return generateGrpc(snap, proxy, typeUrl, names);
  return withEnvoyFilters(snap, proxy, typeUrl, generateEnvoy(snap, proxy, typeUrl));
}

/** For each configPatch of the EnvoyFilters that select this proxy: does it change what the proxy gets (debug view). */
export const envoyFilterStatus = (snap: Snapshot, proxy: Proxy): PatchStatus[] => patchStatus(snap, proxy, (typeUrl) => generateEnvoy(snap, proxy, typeUrl));

function generateEnvoy(snap: Snapshot, proxy: Proxy, typeUrl: string): NamedResource[] {
  switch (typeUrl) {
    case TypeUrls.cluster:
      return generateClusters(snap, proxy);
    case TypeUrls.endpoint:
      return generateEndpoints(snap, proxy);
    case TypeUrls.listener:
      return withTelemetry(snap, proxy, withProxyHeaders(snap, proxy, proxy.type === 'router' ? generateGatewayListeners(snap, proxy) : generateSidecarListeners(snap, proxy)));
    case TypeUrls.route:
      return withRouteHeaders(snap, proxy, proxy.type === 'router' ? generateGatewayRoutes(snap, proxy) : generateSidecarRoutes(snap, proxy));
    case TypeUrls.secret:
      return [...generateSecrets(proxy), ...generateCredentialSecrets(snap, proxy), ...generateConfigMapCaSecrets(snap)];
    default:
      return [];
  }
}

/**
 * Proxies with equal scope get identical output of every type. For Envoy: type, namespace, the workload labels
 * (Sidecar/Gateway selection), the inbound services that select those labels, and for sidecars the inbound
 * ports as resolved for this proxy (a named targetPort is looked up in the proxy's own endpoint, by its IP, so
 * two pods of one service may listen on different ports).
 */
export function proxyScope(snap: Snapshot, proxy: Proxy): string {
  // The scope reads services, plus workloads (labels by IP) and endpoints (named ports) only in those cases: when
  // the next snapshot shares those parts (an incremental build), the proxy's scope is the one computed before.
  // EnvoyFilter patches may also read the node's metadata and version (envoyfilter/patches.ts), and endpoint
  // priorities the proxy's locality and its values of failoverPriority labels, network metadata included
  // (locality.ts), mesh mTLS its certificate files (mtls.ts), a gateway's SDS whether it may read credentials
  // (credentials.ts), a gateway's listeners its own gatewayTopology (gateway-topology.ts), any proxy's listeners
  // and routes its own proxyHeaders (proxy-headers.ts), its listeners' tracing its own ProxyConfig tracing
  // (span-tags.ts), and a self-discovering proxy's EDS its workload name.
  const ef = proxyMatchKey(snap, proxy);
  const loc = localityMatters(snap) ? proxyLocality(snap, proxy) : '';
  const fp = failoverPriorityScope(snap, proxy);
  const certs = certsScope(proxy);
  // A proxy that proved its identity gets its namespace's credentials (credentials.ts).
  const creds = mayReadCredentials(proxy) ? '|creds' : '';
  // A gateway's own gatewayTopology (PROXY_CONFIG) shapes its listeners (gateway-topology.ts).
  const gt = topologyScope(proxy);
  // A proxy's own proxyHeaders (PROXY_CONFIG) shape its listeners and routes (proxy-headers.ts).
  const ph = headersScope(snap, proxy);
  // A proxy's own local_cluster reads its workload name and region (self-discovery.ts).
  const sd = selfDiscoveryScope(snap, proxy);
  // A proxy's own tracing customTags and maxPathTagLength (PROXY_CONFIG) shape its listeners (span-tags.ts).
  const tr = tracingScope(snap, proxy);
  const extra = `${ef ? `|ef:${ef}` : ''}${loc ? `|loc:${loc}` : ''}${fp ? `|fp:${fp}` : ''}${certs ? `|certs:${certs}` : ''}${creds}${gt ? `|gt:${gt}` : ''}${ph ? `|ph:${ph}` : ''}${sd ? `|sd:${sd}` : ''}${tr ? `|tr:${tr}` : ''}`;
  const m = scopeMemo.get(proxy);
  const byIp = Object.keys(proxy.labels).length === 0;
  if (m && m.services === snap.services && (!byIp || m.workloads === snap.workloads) && (!m.named || m.endpoints === snap.endpoints)) return m.scope + extra;
  const scope = computeScope(snap, proxy);
  scopeMemo.set(proxy, { services: snap.services, workloads: snap.workloads, endpoints: snap.endpoints, named: scope.named, scope: scope.key });
  return scope.key + extra;
}

const scopeMemo = new WeakMap<Proxy, { services: object; workloads: object; endpoints: object; named: boolean; scope: string }>();

function computeScope(snap: Snapshot, proxy: Proxy): { key: string; named: boolean } {
  const labels = proxyLabels(snap, proxy);
  const labelKey = labelsKey(labels);
  const inbound = inboundServices(snap, proxy, labels);
  const hosts = inbound.map((s) => s.hostname).join(',');
  const named = proxy.type === 'sidecar' && inbound.some((s) => s.ports.some((p) => p.targetPortName));
  const ports = named ? `|${inboundPorts(snap, proxy).map((p) => `${p.port}/${p.protocol}`).join(',')}` : '';
  // Span tags read the node's mesh and cluster ids, and spans name its node cluster (span-tags.ts).
  const ids = `${String(proxy.metadata.MESH_ID ?? '')}|${String(proxy.metadata.CLUSTER_ID ?? '')}|${proxy.cluster ?? ''}`;
  return { key: `${proxy.generator}|${proxy.type}|${proxy.namespace}|${labelKey}|${hosts}${ports}|${ids}`, named };
}
