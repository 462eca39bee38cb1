/**
 * The root namespaces: where a resource declared without a selector is the mesh's, in force in every namespace
 * (PeerAuthentication, AuthorizationPolicy, RequestAuthentication, Telemetry, WasmPlugin, EnvoyFilter, the default
 * Sidecar, ProxyConfig), and where DestinationRules are looked up last, for every proxy.
 *
 * Istio has one, the mesh config's rootNamespace, istio-system when it is unset. mizzen's default has two:
 * istio-system, where Istio users already keep their mesh-wide resources, then mizzen-system, mizzen's own
 * control-plane namespace (in that order where one must be picked, e.g. which mesh-wide PeerAuthentication counts).
 * A rootNamespace set in the mesh config is the only root, as in Istio: it replaces both. An Istio user who names a
 * root expects resources anywhere else, the control plane's own namespace included, to be namespace-scoped, which is
 * what istiod does when its rootNamespace is not the namespace it runs in. Pure.
 */
import { ROOT_NAMESPACES } from '../core/constants.js';

const single = new Map<string, readonly string[]>();

/**
 * The root namespaces of a mesh (its config or a snapshot's settings): `[rootNamespace]` when set, else mizzen's
 * default pair. The same value gives the same array, so callers may key memos on it.
 */
export function rootNamespacesOf(mesh: { readonly rootNamespace?: string }): readonly string[] {
  const ns = mesh.rootNamespace;
  if (!ns) return ROOT_NAMESPACES;
  let roots = single.get(ns);
  if (!roots) single.set(ns, (roots = Object.freeze([ns])));
  return roots;
}

/** The root namespaces as one memo key part. */
export const rootsKey = (roots: readonly string[]): string => roots.join(',');
