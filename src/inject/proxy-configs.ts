/**
 * ProxyConfig resources (networking.istio.io/v1beta1) as the injector applies them, Istio's way. For a pod, up to
 * three resources count, each over the one before: the mesh's (a root namespace's ProxyConfig without a selector:
 * the mesh config's rootNamespace, else istio-system, then mizzen-system; model/root-namespaces.ts),
 * its namespace's (no selector), and its workload's (the namespace's first ProxyConfig whose selector matches the
 * pod's labels). Of several candidates for one place, the oldest wins (then the name). Together they override the
 * pod's proxy.istio.io/config annotation field by field: concurrency as a whole, environmentVariables name by name
 * (the annotation's proxyMetadata). A resource with a targetRef is for waypoints, which mizzen does not run: it
 * applies to no pod. The image type is not applied (validation says so). Pure.
 */
import type { KubeObject } from '../core/kube.js';
import { matchesLabels, stringMap } from '../model/selectors.js';
import { isObject } from '../core/object.js';
import { overlayProxyConfig, readProxyConfigField, type SharedOverrides } from './proxy-config.js';

/** What ProxyConfig resources set: the fields they share with the annotation (environmentVariables as proxyMetadata). */
export type ResourceOverrides = SharedOverrides;

/** What applies to one pod: the merged overrides, the resources they come from and what in them could not be read. */
export interface AppliedProxyConfig {
  overrides: ResourceOverrides;
  /** `namespace/name` of each resource that applied, the mesh's first. */
  from: string[];
  /** A field of an applied resource that is not usable (only a config source that skips validation lets one in). */
  warnings: string[];
}

/** Finds what applies to a pod of `namespace` with `labels` in a mesh of these root namespaces; undefined when nothing does. */
export type ProxyConfigLookup = (namespace: string, labels: Readonly<Record<string, string>>, roots: readonly string[]) => AppliedProxyConfig | undefined;

interface Resource {
  ref: string;
  namespace: string;
  created: string;
  /** matchLabels; undefined for a resource without a selector. */
  selector?: Record<string, string>;
  overrides: ResourceOverrides;
  warnings: string[];
}

const isProxyConfig = (o: unknown): o is KubeObject =>
  isObject(o) && o.kind === 'ProxyConfig' && typeof o.apiVersion === 'string' && o.apiVersion.startsWith('networking.istio.io/') && isObject(o.metadata) && typeof o.metadata.name === 'string';

function resourceOf(o: KubeObject): Resource | undefined {
  const spec = isObject(o.spec) ? o.spec : {};
  if (spec.targetRef !== undefined && spec.targetRef !== null) return undefined;
  const namespace = (typeof o.metadata.namespace === 'string' && o.metadata.namespace) || 'default';
  const ref = `${namespace}/${o.metadata.name}`;
  const overrides: ResourceOverrides = {};
  const warnings: string[] = [];
  const read = <K extends keyof ResourceOverrides>(field: string, name: K) => {
    const v = spec[field];
    if (v === undefined || v === null) return;
    const r = readProxyConfigField(name, v);
    if ('error' in r) warnings.push(`ProxyConfig ${ref}: spec.${field}: ${r.error} (not applied)`);
    else overrides[name] = r.value as ResourceOverrides[K];
  };
  read('concurrency', 'concurrency');
  read('environmentVariables', 'proxyMetadata');
  const selector = isObject(spec.selector) ? stringMap(spec.selector.matchLabels) : undefined;
  const created = typeof o.metadata.creationTimestamp === 'string' ? o.metadata.creationTimestamp : '';
  return { ref, namespace, created, ...(selector ? { selector } : {}), overrides, warnings };
}

/** Oldest first, then by name: the first candidate of a place is the one that applies. */
const older = (a: Resource, b: Resource): number => (a.created !== b.created ? (a.created < b.created ? -1 : 1) : a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);

function merge(layers: readonly Resource[]): AppliedProxyConfig {
  const overrides = layers.reduce<ResourceOverrides>((o, l) => overlayProxyConfig(o, l.overrides), {});
  return { overrides, from: layers.map((l) => l.ref), warnings: layers.flatMap((l) => l.warnings) };
}

/** The lookup over `objects` (any kinds; ProxyConfigs are picked out), or undefined when they hold no usable ProxyConfig. */
export function proxyConfigLookup(objects: Iterable<unknown>): ProxyConfigLookup | undefined {
  const byNamespace = new Map<string, Resource[]>();
  for (const o of objects) {
    if (!isProxyConfig(o)) continue;
    const r = resourceOf(o);
    if (!r) continue;
    const list = byNamespace.get(r.namespace);
    if (list) list.push(r);
    else byNamespace.set(r.namespace, [r]);
  }
  if (byNamespace.size === 0) return undefined;
  for (const list of byNamespace.values()) list.sort(older);
  const wide = (ns: string): Resource | undefined => byNamespace.get(ns)?.find((r) => r.selector === undefined);
  return (namespace, labels, roots) => {
    const mesh = roots.map(wide).find((r) => r !== undefined);
    const layers: Resource[] = [];
    if (mesh) layers.push(mesh);
    const ns = wide(namespace);
    if (ns && ns !== mesh) layers.push(ns);
    const workload = byNamespace.get(namespace)?.find((r) => r.selector !== undefined && matchesLabels(labels, r.selector));
    if (workload) layers.push(workload);
    return layers.length > 0 ? merge(layers) : undefined;
  };
}

const memo = new WeakMap<readonly unknown[], ProxyConfigLookup | null>();

/** proxyConfigLookup, remembered per list: a config store's list is the same array until something changes. */
export function proxyConfigsOf(objects: readonly unknown[]): ProxyConfigLookup | undefined {
  if (objects.length === 0) return undefined;
  let lookup = memo.get(objects);
  if (lookup === undefined) memo.set(objects, (lookup = proxyConfigLookup(objects) ?? null));
  return lookup ?? undefined;
}
