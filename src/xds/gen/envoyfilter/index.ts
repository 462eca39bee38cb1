/**
 * EnvoyFilter: Istio's escape hatch, patches on the generated Envoy configuration of the proxies a filter selects
 * (patches.ts). Applied last, after access logs and tracing, as istiod applies them after building each part:
 * listeners (with the inline route configurations of virtualInbound first), route configurations and clusters.
 * Endpoints are never patched, and proxyless gRPC clients get no patches (as in Istio). BOOTSTRAP and
 * EXTENSION_CONFIG patches have nothing to apply to: mizzen writes the bootstrap at injection and serves no ECDS.
 * Generated resources may be shared between proxies, so patches work on copies.
 */
import type { Snapshot } from '../../../model/types.js';
import type { Proxy } from '../../../model/proxy.js';
import { TypeUrls } from '../../../core/constants.js';
import type { Json } from '../common.js';
import type { NamedResource } from '../types.js';
import { HCM_FILTER } from '../filters.js';
import { inboundServices } from '../context.js';
import { type ApplyTo, type Patch, type PatchContext, proxyPatches } from './patches.js';
import { patchListeners } from './listeners.js';
import { patchRouteConfiguration } from './routes.js';
import { patchClusters } from './clusters.js';
import { isObject } from './lists.js';

export { proxyMatchKey } from './patches.js';

const ROUTE_PARTS: readonly ApplyTo[] = ['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE'];
const LISTENER_PARTS: readonly ApplyTo[] = ['LISTENER', 'LISTENER_FILTER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER', ...ROUTE_PARTS];
const PARTS: Readonly<Record<string, readonly ApplyTo[]>> = {
  [TypeUrls.listener]: LISTENER_PARTS,
  [TypeUrls.route]: ROUTE_PARTS,
  [TypeUrls.cluster]: ['CLUSTER'],
};

/** `resources` (of `typeUrl`, generated for `proxy`) with the proxy's EnvoyFilter patches applied. Pure. */
export function withEnvoyFilters(snap: Snapshot, proxy: Proxy, typeUrl: string, resources: NamedResource[]): NamedResource[] {
  const parts = PARTS[typeUrl];
  if (!parts || snap.envoyFilters.length === 0 || proxy.generator === 'grpc') return resources;
  const patches = proxyPatches(snap, proxy).filter((p) => parts.includes(p.applyTo));
  if (patches.length === 0) return resources;
  const copies = resources.map((r) => structuredClone(r.resource) as Json);
  const gateway = proxy.type === 'router';
  let out: Json[];
  if (typeUrl === TypeUrls.route) {
    for (const rc of copies) patchRouteConfiguration(patches, gateway ? 'GATEWAY' : 'SIDECAR_OUTBOUND', rc);
    out = copies;
  } else if (typeUrl === TypeUrls.cluster) {
    const inboundHosts = (port: number): string[] => inboundServices(snap, proxy).filter((s) => s.ports.some((p) => p.targetPort === port)).map((s) => s.hostname);
    const contextOf = (c: Json): PatchContext => (gateway ? 'GATEWAY' : /^inbound\||^InboundPassthroughCluster$/.test(String(c.name)) ? 'SIDECAR_INBOUND' : 'SIDECAR_OUTBOUND');
    out = patchClusters(patches, copies, contextOf, gateway ? ['GATEWAY'] : ['SIDECAR_OUTBOUND', 'SIDECAR_INBOUND'], inboundHosts);
  } else out = gateway ? patchListeners(patches, 'GATEWAY', copies, true) : sidecarListeners(patches, copies);
  return byName(out);
}

/** A sidecar's listeners: virtualInbound's inline routes first, then each side in its context. */
function sidecarListeners(patches: readonly Patch[], listeners: Json[]): Json[] {
  const inbound = listeners.filter((l) => l.name === 'virtualInbound');
  for (const l of inbound) {
    for (const fc of Array.isArray(l.filter_chains) ? l.filter_chains : []) {
      for (const f of Array.isArray(fc.filters) ? fc.filters : []) {
        const rc = f.name === HCM_FILTER && isObject(f.typed_config) ? f.typed_config.route_config : undefined;
        if (isObject(rc)) patchRouteConfiguration(patches, 'SIDECAR_INBOUND', rc);
      }
    }
  }
  const outbound = listeners.filter((l) => l.name !== 'virtualInbound' && l.name !== 'virtualOutbound');
  return [
    ...patchListeners(patches, 'SIDECAR_OUTBOUND', listeners.filter((l) => l.name === 'virtualOutbound'), false),
    ...patchListeners(patches, 'SIDECAR_INBOUND', inbound, true),
    ...patchListeners(patches, 'SIDECAR_OUTBOUND', outbound, true),
  ];
}

/** Named resources; a later one of the same name (an added resource) takes the place of the earlier one. */
function byName(resources: readonly Json[]): NamedResource[] {
  const out = new Map<string, NamedResource>();
  for (const resource of resources) if (typeof resource.name === 'string' && resource.name !== '') out.set(resource.name, { name: resource.name, resource });
  return [...out.values()];
}
