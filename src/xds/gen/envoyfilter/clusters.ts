/**
 * EnvoyFilter patches on clusters, as istiod applies them: REMOVE drops a matching cluster, MERGE merges into it
 * (a transport socket of the same name merges at its typed_config, and then nothing else of the value does), ADD
 * appends a cluster. A cluster match names the cluster, or its service host, subset and port as read from Istio's
 * cluster name; an inbound cluster's hosts are the services that send traffic to its port. Clusters are changed
 * in place: the caller hands over copies.
 */
import { typeFor } from '../../proto.js';
import type { Json } from '../common.js';
import { mergeAny, mergeMessage } from './merge.js';
import type { Patch, PatchContext } from './patches.js';
import { contextMatches, copyOf, given, isMerge, isObject } from './lists.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';

function clusterMatch(c: Json, p: Patch, inboundHosts: (port: number) => readonly string[]): boolean {
  const m = isObject(p.match.cluster) ? p.match.cluster : undefined;
  if (!m) return true;
  if (given(m.name)) return m.name === c.name;
  const [direction = '', port = '', subset = '', host = ''] = String(c.name ?? '').split('|');
  const hosts = direction === 'inbound' ? inboundHosts(Number(port)) : [host];
  if (given(m.subset) && m.subset !== subset) return false;
  if (given(m.service) && !(hosts as unknown[]).includes(m.service)) return false;
  return !given(m.portNumber) || m.portNumber === Number(port);
}

/** MERGE of a value with a transport socket; false when the value merges as a whole instead. */
function mergeTransportSocket(c: Json, value: Json): boolean {
  const ts = value.transport_socket;
  if (!isObject(ts)) return false;
  let target: Json | undefined;
  if (Array.isArray(c.transport_socket_matches) && c.transport_socket_matches.length > 0) {
    target = c.transport_socket_matches.map((m: Json) => m.transport_socket).find((t: unknown) => isObject(t) && t.name === ts.name);
    // Without a socket of that name among the matches, a transport_socket beside them would be invalid: dropped.
    if (!target) return true;
  } else if (isObject(c.transport_socket) && c.transport_socket.name === ts.name) target = c.transport_socket;
  if (!target) c.transport_socket = ts;
  else if (isObject(target.typed_config) && isObject(ts.typed_config)) mergeAny(target.typed_config, ts.typed_config);
  return true;
}

/**
 * Patches a proxy's clusters; `contextOf` tells each cluster's context, `addContexts` the contexts whose ADD
 * patches append clusters (for sidecars both sides, for gateways GATEWAY).
 */
export function patchClusters(patches: readonly Patch[], clusters: Json[], contextOf: (c: Json) => PatchContext, addContexts: readonly PatchContext[], inboundHosts: (port: number) => readonly string[]): Json[] {
  const own = patches.filter((p) => p.applyTo === 'CLUSTER');
  const out: Json[] = [];
  for (const c of clusters) {
    const ctx = contextOf(c);
    let removed = false;
    for (const p of own) {
      if (!contextMatches(p, ctx) || !clusterMatch(c, p, inboundHosts)) continue;
      if (p.operation === 'REMOVE') {
        removed = true;
        break;
      }
      if (!isMerge(p.operation)) continue;
      const value = copyOf(p);
      if (!mergeTransportSocket(c, value)) mergeMessage(typeFor(CLUSTER), c, value, p.operation === 'MERGE_AND_REPLACE_LIST');
    }
    if (!removed) out.push(c);
  }
  for (const ctx of addContexts) {
    for (const p of own) {
      // A cluster ADD without a context adds on the outbound side and to gateways only.
      if (p.operation !== 'ADD' || !contextMatches(p, ctx) || (p.context === 'ANY' && ctx === 'SIDECAR_INBOUND')) continue;
      out.push(copyOf(p));
    }
  }
  return out;
}
