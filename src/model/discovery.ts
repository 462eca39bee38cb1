/**
 * Istio's meshConfig.discoverySelectors: the namespaces the control plane discovers. Each selector is a Kubernetes
 * label selector over a namespace's labels; a namespace is discovered when any selector matches it (an empty
 * selector `{}` matches every namespace); no selectors at all: every namespace is. As in istiod, a namespace is
 * only discovered once its Namespace object is known (istiod selects from its Namespace informer), and every
 * namespace carries the label the API server sets, kubernetes.io/metadata.name, whether the object says it or not.
 *
 * Objects of namespaces that are not discovered take no part in a snapshot (snapshot.ts): their Services,
 * endpoints, pods, WorkloadEntries, Istio configs, Gateway API objects, Ingresses, Secrets and ConfigMaps, as
 * istiod's discovery filter sits in front of all those informers. The root namespaces get no exception: istiod has
 * none, so istio-system must be selected too for its mesh-wide configuration to apply. Cluster-scoped objects
 * (Namespaces, IngressClasses, GatewayClasses) are always in. Pure.
 */
import type { KubeObject } from '../core/kube.js';
import type { LabelSelector } from '../config/mesh.js';
import { matchesSelector } from '../inject/selector.js';
import { asString, stringMap } from './selectors.js';
import { CLUSTER_SCOPED } from './state.js';
import { rootNamespacesOf } from './root-namespaces.js';

/** The label the API server gives every namespace, with the namespace's name as its value. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Whether a namespace of this name and labels is discovered: no selectors, or one of them matches. */
export function selectsNamespace(selectors: readonly LabelSelector[], name: string, labels: Readonly<Record<string, string>>): boolean {
  if (selectors.length === 0) return true;
  const all = { ...labels, [NAMESPACE_NAME_LABEL]: name };
  return selectors.some((s) => matchesSelector(s, all));
}

const isNamespace = (o: KubeObject): boolean => o.kind === 'Namespace' && o.apiVersion === 'v1';

/** The labels of the Namespace objects among `objects`, by name. */
export function namespaceLabels(objects: Iterable<KubeObject>): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const o of objects) if (isNamespace(o) && asString(o.metadata?.name)) out.set(o.metadata.name!, stringMap(o.metadata.labels));
  return out;
}

/** The discovered names among `namespaces` (name → labels of its Namespace object); undefined when every namespace is. */
export function discoveredNamespaces(selectors: readonly LabelSelector[], namespaces: ReadonlyMap<string, Record<string, string>>): ReadonlySet<string> | undefined {
  if (selectors.length === 0) return undefined;
  return new Set([...namespaces].filter(([name, labels]) => selectsNamespace(selectors, name, labels)).map(([name]) => name));
}

/** The namespace an object lives in (`default` when it names none), or undefined for a cluster-scoped kind. */
const homeOf = (o: KubeObject): string | undefined => (CLUSTER_SCOPED.has(o.kind) ? undefined : asString(o.metadata?.namespace) || 'default');

/** Whether an object is in scope: cluster-scoped, or in a discovered namespace (`discovered` undefined: every one is). */
export function inDiscovery(o: KubeObject, discovered: ReadonlySet<string> | undefined): boolean {
  if (!discovered) return true;
  const ns = homeOf(o);
  return ns === undefined || discovered.has(ns);
}

/**
 * The namespaces a snapshot discovers (undefined: every one), from what it keeps: the mesh's selectors and the
 * labels of its namespaces. With selectors a snapshot knows every Namespace object and no other namespace, since
 * objects of namespaces without one are left out.
 */
export function snapshotDiscovery(snap: { namespaces: ReadonlyMap<string, Record<string, string>>; mesh: { discoverySelectors?: readonly LabelSelector[] } }): ReadonlySet<string> | undefined {
  return discoveredNamespaces(snap.mesh.discoverySelectors ?? [], snap.namespaces);
}

/** `objects` less those of the namespaces that `snap` does not discover (all of them without a snapshot yet). */
export function discoveredIn<T extends KubeObject>(snap: Parameters<typeof snapshotDiscovery>[0] | undefined, objects: readonly T[]): readonly T[] {
  const discovered = snap ? snapshotDiscovery(snap) : undefined;
  return discovered ? objects.filter((o) => inDiscovery(o, discovered)) : objects;
}

/** `objects` less those of the namespaces that `selectors` do not discover among `namespaces` (Namespace objects). */
export function discoveredAmong<T extends KubeObject>(objects: readonly T[], namespaces: readonly KubeObject[], selectors: readonly LabelSelector[]): readonly T[] {
  const discovered = discoveredNamespaces(selectors, namespaceLabels(namespaces));
  return discovered ? objects.filter((o) => inDiscovery(o, discovered)) : objects;
}

/** One namespace as /debug/namespacez shows it. */
export interface NamespaceView {
  name: string;
  labels: Record<string, string>;
  discovered: boolean;
  /** Why it is not: no Namespace object, or no selector matching its labels. */
  why?: string;
  /** Namespaced objects the config sources have in it (discovered or not). */
  objects: number;
}

/** Every namespace that `objects` know (a Namespace object, or objects in it), sorted by name, and whether it is discovered. */
export function namespaceViews(objects: readonly KubeObject[], selectors: readonly LabelSelector[]): NamespaceView[] {
  const labels = namespaceLabels(objects);
  const counts = new Map<string, number>();
  for (const o of objects) {
    const ns = homeOf(o);
    if (ns !== undefined) counts.set(ns, (counts.get(ns) ?? 0) + 1);
  }
  const names = [...new Set([...labels.keys(), ...counts.keys()])].sort();
  return names.map((name) => {
    const l = labels.get(name);
    const discovered = selectors.length === 0 || (l !== undefined && selectsNamespace(selectors, name, l));
    const why = discovered ? undefined : l === undefined ? 'no Namespace object is known for it' : 'its labels match no discovery selector';
    return { name, labels: l ?? {}, discovered, ...(why ? { why } : {}), objects: counts.get(name) ?? 0 };
  });
}

type DiscoverySnapshot = Parameters<typeof snapshotDiscovery>[0] & { mesh: { rootNamespace?: string } };

/**
 * What the log says when snapshot `after` replaces `before` (undefined: the first one), with discovery selectors:
 * at first that they are in force, then each time namespaces enter or leave the selection (the first snapshot's
 * namespaces entering it); and then a warning for every root namespace (the mesh config's rootNamespace, else
 * istio-system and mizzen-system: root-namespaces.ts) left out that holds objects (`objects`: the sources'
 * objects, read only then), since its mesh-wide configuration is ignored, as istiod ignores it.
 */
export function discoveryNotes(before: DiscoverySnapshot | undefined, after: DiscoverySnapshot, objects: () => readonly KubeObject[]): { info: string[]; warn: string[] } {
  const selectors = after.mesh.discoverySelectors ?? [];
  const now = snapshotDiscovery(after);
  if (!now) return { info: [], warn: [] };
  const was = (before && snapshotDiscovery(before)) ?? new Set<string>();
  const info = before ? [] : [`discoverySelectors: ${selectors.length} selector(s) in force: only the namespaces they select are served (/debug/namespacez)`];
  const added = [...now].filter((n) => !was.has(n)).sort();
  const removed = [...was].filter((n) => !now.has(n)).sort();
  if (added.length) info.push(`discoverySelectors: namespace(s) now discovered: ${added.join(', ')}`);
  if (removed.length) info.push(`discoverySelectors: namespace(s) no longer discovered, their objects dropped: ${removed.join(', ')}`);
  if (!added.length && !removed.length) return { info, warn: [] };
  const roots = rootNamespacesOf(after.mesh);
  const warn = namespaceViews(objects(), selectors)
    .filter((v) => !v.discovered && v.objects > 0 && roots.includes(v.name))
    .map((v) => `discoverySelectors: root namespace ${v.name} is not discovered (${v.why}): its ${v.objects} object(s), mesh-wide configuration included, are ignored, as istiod ignores them; give it labels a selector matches`);
  return { info, warn };
}
