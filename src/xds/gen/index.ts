/**
 * Entry point of the xDS generators: generate() returns the complete set of resources of one type for one proxy
 * (state of the world), proxyScope() names the class of proxies that get identical output. Pure.
 */
import type { Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { TypeUrls } from '../../core/constants.js';
import { inboundServices, proxyLabels } from './context.js';
import type { NamedResource } from './types.js';
import { generateClusters, generateEndpoints, inboundPorts } from './clusters.js';
import { generateSidecarListeners } from './listeners.js';
import { generateSidecarRoutes } from './routes.js';
import { generateGatewayListeners, generateGatewayRoutes } from './gateway.js';
import { generateGrpc } from './grpc/index.js';

/** One generated resource: plain object, snake_case fields, Any as `{ '@type': url, ...fields }`. */
export type { NamedResource } from './types.js';

/**
 * Every resource of `typeUrl` this proxy should have (SotW complete set). `names` = the proxy's subscribed names for
 * this type (undefined = wildcard); Envoy generators ignore it (the server filters), gRPC LDS needs it. Pure.
 */
export function generate(snap: Snapshot, proxy: Proxy, typeUrl: string, names?: readonly string[]): NamedResource[] {
  if (proxy.generator === 'grpc') return generateGrpc(snap, proxy, typeUrl, names);
  switch (typeUrl) {
    case TypeUrls.cluster:
      return generateClusters(snap, proxy);
    case TypeUrls.endpoint:
      return generateEndpoints(snap, proxy);
    case TypeUrls.listener:
      return proxy.type === 'router' ? generateGatewayListeners(snap, proxy) : generateSidecarListeners(snap, proxy);
    case TypeUrls.route:
      return proxy.type === 'router' ? generateGatewayRoutes(snap, proxy) : generateSidecarRoutes(snap, proxy);
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
  const labels = proxyLabels(snap, proxy);
  const labelKey = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
  const inbound = inboundServices(snap, proxy, labels);
  const hosts = inbound.map((s) => s.hostname).join(',');
  const named = proxy.type === 'sidecar' && inbound.some((s) => s.ports.some((p) => p.targetPortName));
  const ports = named ? `|${inboundPorts(snap, proxy).map((p) => `${p.port}/${p.protocol}`).join(',')}` : '';
  return `${proxy.generator}|${proxy.type}|${proxy.namespace}|${labelKey}|${hosts}${ports}`;
}
