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
import { type ApplyTo, type Patch, type PatchContext, proxyPatchEntries, proxyPatches } from './patches.js';
import { addedListeners, patchListeners } from './listeners.js';
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
  if (!PARTS[typeUrl] || snap.envoyFilters.length === 0 || proxy.generator === 'grpc') return resources;
  return applyPatches(snap, proxy, typeUrl, resources, proxyPatches(snap, proxy));
}

/** `resources` with those of `patches` applied that reach `typeUrl`. */
function applyPatches(snap: Snapshot, proxy: Proxy, typeUrl: string, resources: NamedResource[], all: readonly Patch[]): NamedResource[] {
  const parts = PARTS[typeUrl] ?? [];
  const patches = all.filter((p) => parts.includes(p.applyTo));
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
  } else out = gateway ? [...patchListeners(patches, 'GATEWAY', copies), ...addedListeners(patches, 'GATEWAY')] : sidecarListeners(patches, copies);
  return byName(out);
}

/** A sidecar's listeners, in their order: virtualInbound's inline routes first, then each listener in its context. */
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
  // Each side patched in its context, once; the listeners then keep their order.
  const kept = new Set([...patchListeners(patches, 'SIDECAR_INBOUND', inbound), ...patchListeners(patches, 'SIDECAR_OUTBOUND', listeners.filter((l) => l.name !== 'virtualInbound'))]);
  return [...listeners.filter((l) => kept.has(l)), ...addedListeners(patches, 'SIDECAR_INBOUND'), ...addedListeners(patches, 'SIDECAR_OUTBOUND')];
}

/** Named resources; a later one of the same name (an added resource) takes the place of the earlier one. */
function byName(resources: readonly Json[]): NamedResource[] {
  const out = new Map<string, NamedResource>();
  for (const resource of resources) if (typeof resource.name === 'string' && resource.name !== '') out.set(resource.name, { name: resource.name, resource });
  return [...out.values()];
}

/** One configPatch of a filter that selects a proxy, as the debug view shows it. */
export interface PatchStatus {
  filter: string;
  index: number;
  applyTo?: string;
  operation?: string;
  /** applied: on its own, it changes what the proxy gets; unmatched: it matches nothing there; skipped: it cannot apply. */
  status: 'applied' | 'unmatched' | 'skipped';
  reason?: string;
}

/**
 * Which EnvoyFilter patches do something to this proxy: each one is tried alone on the unpatched output of the
 * types it reaches (`raw`), so "unmatched" means its match finds nothing (one that inserts next to another
 * patch's filter shows as unmatched although it applies after it). For the debug view; proxyless gRPC clients get
 * no patches at all.
 */
export function envoyFilterStatus(snap: Snapshot, proxy: Proxy, raw: (typeUrl: string) => NamedResource[]): PatchStatus[] {
  const outputs = new Map<string, { resources: NamedResource[]; text: string }>();
  const unpatched = (typeUrl: string) => {
    let o = outputs.get(typeUrl);
    if (!o) {
      const resources = raw(typeUrl);
      outputs.set(typeUrl, (o = { resources, text: JSON.stringify(resources) }));
    }
    return o;
  };
  return proxyPatchEntries(snap, proxy).map(({ filter, index, patch, skipped }): PatchStatus => {
    if (!patch) return { filter, index, status: 'skipped', reason: skipped! };
    const base = { filter, index, applyTo: patch.applyTo, operation: patch.operation };
    if (proxy.generator === 'grpc') return { ...base, status: 'skipped', reason: 'proxyless gRPC clients get no EnvoyFilter patches' };
    const types = Object.keys(PARTS).filter((t) => PARTS[t]!.includes(patch.applyTo));
    const changed = types.some((t) => {
      const before = unpatched(t);
      return JSON.stringify(applyPatches(snap, proxy, t, before.resources, [patch])) !== before.text;
    });
    return changed ? { ...base, status: 'applied' } : { ...base, status: 'unmatched', reason: 'its match finds nothing in what this proxy gets' };
  });
}
