/**
 * The registry's working state behind a Snapshot: every object by key and what the registry derives from it
 * (pods, WorkloadEntries, Kubernetes services, EndpointSlices/Endpoints by service, pods by label, which pods a
 * slice points at), plus content digests per part. Kept next to each snapshot (snapshot.ts) so the next one is
 * built from the changed objects only. A state is never modified once its snapshot exists: an update works on
 * a copy (maps copied, inner lists replaced, never edited). Pure.
 */
import { shortHash } from '../core/hash.js';
import { objectKey, type KubeObject } from '../core/kube.js';
import type { Config, Endpoint, MeshSettings, Workload } from './types.js';
import { endpointsOwner, podInfos, podKey, type KubeIndex, type KubeServiceInfo, type PodInfo } from './registry.js';
import type { WorkloadEntryInfo } from './serviceentry.js';
import type { RawCredential } from './credentials.js';
import type { ConfigMapCa } from './configmap-ca.js';
import { asArray, asObject, asString } from './selectors.js';

export const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'PersistentVolume', 'StorageClass', 'IngressClass', 'GatewayClass']);

export interface RegistryState {
  domainSuffix: string;
  mesh: MeshSettings;
  /** Every usable object by objectKey (the last one wins a duplicated key). */
  objects: Map<string, KubeObject>;
  /** Namespace → number of namespaced objects in it. */
  nsCount: Map<string, number>;
  /** Namespace objects' labels by name. */
  nsLabels: Map<string, Record<string, string>>;
  /** The namespaces the mesh's discoverySelectors discover (model/discovery.ts); undefined: every one (no selectors). */
  discovered: ReadonlySet<string> | undefined;
  /** Istio configs by snapshot field, then objectKey. */
  configs: Record<string, Map<string, Config>>;
  /** Slices (sorted by key), Endpoints, pods by label and by `ns/name`. */
  idx: KubeIndex;
  /** Pod `ns/name` → slice/Endpoints objectKey → the service (`ns/name`) whose endpoints point at the pod. */
  podRefs: Map<string, Map<string, string>>;
  /** WorkloadEntries by objectKey. */
  wes: Map<string, WorkloadEntryInfo>;
  /** Kubernetes services by `ns/name`, and by namespace (both unchanged by incremental updates). */
  kube: Map<string, KubeServiceInfo>;
  kubeByNs: Map<string, KubeServiceInfo[]>;
  /** Digest of each host's service and endpoints. */
  hostDigests: Map<string, string>;
  /** TLS credentials of Secrets by `ns/name` (shared with the snapshot: replaced, never edited, once assembled). */
  credentials: Map<string, RawCredential>;
  /** CA bundles of ConfigMaps (`ca.crt`) by `ns/name` (configmap-ca.ts; shared like credentials). */
  configMapCas: Map<string, ConfigMapCa>;
  /** Digests of the other parts: `namespaces`, `workloads` and each config field. */
  parts: Record<string, string>;
}

const ns = (o: KubeObject): string => asString(o.metadata.namespace) || 'default';

/** JSON.stringify replacer sorting plain objects' keys, so equal content serializes equally whatever its key order. */
export function sortedKeys(_key: string, v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) sorted = false;
  if (sorted) return v;
  const out: Record<string, unknown> = {};
  for (const k of keys.sort()) out[k] = (v as Record<string, unknown>)[k];
  return out;
}
export const canonical = (v: unknown): string => JSON.stringify(v, sortedKeys) ?? 'null';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A total order on endpoints (port name, address, port, workload, then content), so input order never shows. */
export function endpointOrder(a: Endpoint, b: Endpoint): number {
  return cmp(a.servicePortName, b.servicePortName) || cmp(a.address, b.address) || a.port - b.port || cmp(a.workload ?? '', b.workload ?? '') || cmp(canonical(a), canonical(b));
}

/** A total order on workloads: namespace/name, then kind. */
export const workloadOrder = (a: Workload, b: Workload): number => cmp(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`) || cmp(a.kind, b.kind);

/** Pods (`ns/name`) an EndpointSlice or Endpoints object points at by targetRef. */
export function referencedPods(o: KubeObject): string[] {
  const out = new Set<string>();
  const add = (ref: unknown): void => {
    const r = asObject(ref);
    if (r.kind === 'Pod' && asString(r.name)) out.add(podKey(asString(r.namespace) || ns(o), r.name));
  };
  const body = o as Record<string, unknown>;
  if (o.kind === 'EndpointSlice') for (const e of asArray(body.endpoints)) add(asObject(e).targetRef);
  else for (const s of asArray(body.subsets)) for (const list of [asObject(s).addresses, asObject(s).notReadyAddresses]) for (const a of asArray(list)) add(asObject(a).targetRef);
  return [...out];
}

export const podOf = (o: KubeObject): PodInfo | undefined => podInfos([o])[0];

/** Adds or removes one pod in the label index (lists replaced, never edited). */
export function indexPod(byLabel: Map<string, PodInfo[]>, pod: PodInfo, add: boolean): void {
  for (const [k, v] of Object.entries(pod.labels)) {
    const key = `${pod.namespace}/${k}=${v}`;
    const list = byLabel.get(key) ?? [];
    const next = add ? [...list, pod] : list.filter((p) => p !== pod);
    if (next.length > 0) byLabel.set(key, next);
    else byLabel.delete(key);
  }
}

/** Adds or removes a slice/Endpoints object in the index and the pod references. */
export function indexEndpointsObject(st: RegistryState, key: string, o: KubeObject, add: boolean): string | undefined {
  const owner = endpointsOwner(o);
  if (!owner) return undefined;
  if (o.kind === 'EndpointSlice') {
    const list = (st.idx.slices.get(owner) ?? []).filter((s) => s !== o);
    if (add) {
      list.push(o);
      list.sort((a, b) => cmp(objectKey(a), objectKey(b)));
    }
    if (list.length > 0) st.idx.slices.set(owner, list);
    else st.idx.slices.delete(owner);
  } else if (add) {
    if (!st.idx.endpoints.has(owner)) st.idx.endpoints.set(owner, o);
  } else if (st.idx.endpoints.get(owner) === o) st.idx.endpoints.delete(owner);
  for (const pod of referencedPods(o)) {
    const refs = new Map(st.podRefs.get(pod));
    if (add) refs.set(key, owner);
    else refs.delete(key);
    if (refs.size > 0) st.podRefs.set(pod, refs);
    else st.podRefs.delete(pod);
  }
  return owner;
}

/** The namespace an object counts for (undefined for cluster-scoped kinds). */
export const namespaceOf = (o: KubeObject): string | undefined => (CLUSTER_SCOPED.has(o.kind) ? undefined : ns(o));

/** A shallow copy of a state that an update may edit (inner lists and maps are replaced, not edited). */
export function copyState(st: RegistryState): RegistryState {
  const configs: Record<string, Map<string, Config>> = {};
  for (const [k, m] of Object.entries(st.configs)) configs[k] = new Map(m);
  return {
    domainSuffix: st.domainSuffix,
    mesh: st.mesh,
    objects: new Map(st.objects),
    nsCount: new Map(st.nsCount),
    nsLabels: new Map(st.nsLabels),
    discovered: st.discovered,
    configs,
    idx: { slices: new Map(st.idx.slices), endpoints: new Map(st.idx.endpoints), podsByLabel: new Map(st.idx.podsByLabel), pods: new Map(st.idx.pods) },
    podRefs: new Map(st.podRefs),
    wes: new Map(st.wes),
    kube: st.kube,
    kubeByNs: st.kubeByNs,
    hostDigests: new Map(st.hostDigests),
    credentials: st.credentials,
    configMapCas: st.configMapCas,
    parts: { ...st.parts },
  };
}

// ---- content digests (memoized per object: unchanged pieces are never serialized twice) ----

const digests = new WeakMap<object, string>();
function memo(o: object, f: () => string): string {
  let d = digests.get(o);
  if (d === undefined) digests.set(o, (d = f()));
  return d;
}

/** Digest of one host: its service and its (sorted) endpoints. */
export const hostDigest = (svc: object, eps: readonly Endpoint[]): string => shortHash(memo(svc, () => canonical(svc)) + '\0' + memo(eps, () => canonical(eps)));

/** Digest of a list of configs (revisions left out). */
export const configsDigest = (list: readonly Config[]): string =>
  shortHash(
    list
      .map((c) =>
        memo(c, () => {
          const { revision: _r, ...rest } = c;
          return canonical(rest);
        }),
      )
      .join('\n'),
  );

/** Digest of the credentials (a digest per credential, memoized, then of those by key, in key order). */
export const credentialsDigest = (m: ReadonlyMap<string, RawCredential>): string =>
  shortHash(
    [...m.keys()]
      .sort(cmp)
      .map((k) => `${k}\0${memo(m.get(k)!, () => shortHash(canonical(m.get(k))))}`)
      .join('\n'),
  );

/** Digest of the workload list: a digest per workload (memoized), then of those (not of every workload's text). */
export const workloadsDigest = (list: readonly Workload[]): string => shortHash(list.map((w) => memo(w, () => shortHash(canonical(w)))).join('\n'));
