/**
 * Entry point of the xDS generators: generate() returns the complete set of resources of one type for one proxy
 * (state of the world), proxyScope() names the class of proxies that get identical output. Pure.
 */
import type { Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { TypeUrls } from '../../core/constants.js';
import { inboundServices, proxyLabels } from './context.js';

/** One generated resource: plain object, snake_case fields, Any as `{ '@type': url, ...fields }`. */
export interface NamedResource {
  name: string;
  resource: Record<string, unknown>;
}

/**
 * Every resource of `typeUrl` this proxy should have (SotW complete set). `names` = the proxy's subscribed names for
 * this type (undefined = wildcard); Envoy generators ignore it (the server filters), gRPC LDS needs it. Pure.
 */
export function generate(snap: Snapshot, proxy: Proxy, typeUrl: string, _names?: readonly string[]): NamedResource[] {
  switch (typeUrl) {
    case TypeUrls.cluster:
    case TypeUrls.endpoint:
    case TypeUrls.listener:
    case TypeUrls.route:
      return [];
    default:
      return [];
  }
}

/**
 * Proxies with equal scope get identical output of every type. For Envoy: type, namespace, the workload labels
 * (Sidecar/Gateway selection) and the inbound services that select those labels.
 */
export function proxyScope(snap: Snapshot, proxy: Proxy): string {
  const labels = proxyLabels(snap, proxy);
  const labelKey = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
  const inbound = inboundServices(snap, proxy, labels)
    .map((s) => s.hostname)
    .join(',');
  return `${proxy.generator}|${proxy.type}|${proxy.namespace}|${labelKey}|${inbound}`;
}
