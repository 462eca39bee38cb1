/**
 * buildSnapshot(): the config store's objects → an immutable Snapshot (services, endpoints, workloads, the
 * Istio configs, sorted as Istio orders them, and the TLS credentials of Secrets). Pure and total: any object shaped like a KubeObject is accepted,
 * and whatever cannot be understood is skipped, never thrown.
 *
 * updateSnapshot(): the same result from the previous snapshot and the keys of the objects that changed. An
 * endpoint change (Pod, EndpointSlice, Endpoints, WorkloadEntry) recomputes the endpoints of the services it
 * touches and nothing else; a routing config change re-sorts that kind only. Unchanged parts are the previous
 * snapshot's own maps and lists (shared, never edited). Services and ServiceEntries rebuild from scratch.
 *
 * With the mesh's discoverySelectors, objects of the namespaces they do not discover are left out of both, as if
 * the sources did not have them (discovery.ts); a Namespace whose labels move it into or out of the selection
 * rebuilds the snapshot from scratch. So does a Namespace whose labels give its ServiceEntries another visibility
 * (the mesh's serviceEntryVisibility, serviceentry-visibility.ts), which hides them or narrows their exportTo.
 */
import { compareConfigs } from './config-order.js';
import { isKubeObject, objectKey, type KubeObject } from '../core/kube.js';
import { shortHash } from '../core/hash.js';
import { DEFAULT_DOMAIN_SUFFIX, DEFAULT_TRUST_DOMAIN } from '../core/constants.js';
import type { Config, Endpoint, HostDefinition, MeshSettings, Service, Snapshot, Workload } from './types.js';
import { definitionsDigest, groupDefinitions } from './host-definitions.js';
import { TRAFFIC_DISTRIBUTION, kubeEndpoints, kubeServices, podKey, podWorkloads, type KubeServiceInfo, type PodInfo } from './registry.js';
import { serviceEntryServices, workloadEntries, workloadEntryWorkloads, type WorkloadEntryInfo } from './serviceentry.js';
import { asString, matchesLabels, stringMap } from './selectors.js';
import { grantObjects, isGatewayApi, isGatewayApiX } from './gateway-refs.js';
import { gatewayRouteVirtualServices } from './gateway-api.js';
import { kubernetesGatewayConfigs, routeCache } from './gateway-api-gateways.js';
import { listenerSetConfigs, listenerSetOutcomes } from './gateway-api-listenerset.js';
import { DEFAULT_INGRESS_SETTINGS, ingressConfigs } from './ingress.js';
import { backendTlsDestinationRules, backendTlsOutcomes, configMapLookup } from './gateway-api-backendtls.js';
import { backendTrafficOutcomes, withBackendTrafficRules } from './gateway-api-backendtraffic.js';
import { type ConfigMapCa, configMapCaOf, isConfigMap } from './configmap-ca.js';
import { credentialKey, credentialOf, isSecret } from './credentials.js';
import { discoveredNamespaces, inDiscovery, namespaceLabels, selectsNamespace } from './discovery.js';
import { entryScopeOf, entryVisibility } from './serviceentry-visibility.js';
import {
  canonical, configsDigest, copyState, credentialsDigest, endpointOrder, indexEndpointsObject, indexPod, namespaceOf, podOf, workloadOrder, workloadsDigest,
  type RegistryState,
} from './state.js';

/** Snapshot field for each Istio kind, with the API group it must come from. */
const CONFIG_KINDS = {
  VirtualService: ['networking.istio.io', 'virtualServices'],
  DestinationRule: ['networking.istio.io', 'destinationRules'],
  Gateway: ['networking.istio.io', 'gateways'],
  ServiceEntry: ['networking.istio.io', 'serviceEntries'],
  Sidecar: ['networking.istio.io', 'sidecars'],
  PeerAuthentication: ['security.istio.io', 'peerAuthentications'],
  AuthorizationPolicy: ['security.istio.io', 'authorizationPolicies'],
  RequestAuthentication: ['security.istio.io', 'requestAuthentications'],
  Telemetry: ['telemetry.istio.io', 'telemetries'],
  EnvoyFilter: ['networking.istio.io', 'envoyFilters'],
  WasmPlugin: ['extensions.istio.io', 'wasmPlugins'],
} as const;
/** Snapshot field for each Gateway API kind (gateway.networking.k8s.io: its Gateway is not Istio's). */
const GATEWAY_API_KINDS = { HTTPRoute: 'httpRoutes', GRPCRoute: 'grpcRoutes', TLSRoute: 'tlsRoutes', TCPRoute: 'tcpRoutes', ReferenceGrant: 'referenceGrants', Gateway: 'kubernetesGateways', BackendTLSPolicy: 'backendTlsPolicies', ListenerSet: 'listenerSets' } as const;
/** Snapshot field for each kind of the Gateway API's experimental group (gateway.networking.x-k8s.io). */
const GATEWAY_API_X_KINDS = { XBackendTrafficPolicy: 'backendTrafficPolicies' } as const;
/** Snapshot field for each Kubernetes Ingress kind (networking.k8s.io). */
const INGRESS_KINDS = { Ingress: 'ingresses', IngressClass: 'ingressClasses' } as const;
type ConfigField = (typeof CONFIG_KINDS)[keyof typeof CONFIG_KINDS][1] | (typeof GATEWAY_API_KINDS)[keyof typeof GATEWAY_API_KINDS] | (typeof GATEWAY_API_X_KINDS)[keyof typeof GATEWAY_API_X_KINDS] | (typeof INGRESS_KINDS)[keyof typeof INGRESS_KINDS];
const FIELDS: readonly ConfigField[] = [...Object.values(CONFIG_KINDS).map((e) => e[1]), ...Object.values(GATEWAY_API_KINDS), ...Object.values(GATEWAY_API_X_KINDS), ...Object.values(INGRESS_KINDS)];

// Istio's order for configs (config-order.ts), kept importable from here.
export { compareConfigs };

function toConfig(o: KubeObject): Config {
  const rv = Number(o.metadata.resourceVersion);
  const ts = asString(o.metadata.creationTimestamp);
  return {
    kind: o.kind,
    apiVersion: o.apiVersion,
    name: o.metadata.name!,
    namespace: asString(o.metadata.namespace) || 'default',
    labels: stringMap(o.metadata.labels),
    annotations: stringMap(o.metadata.annotations),
    spec: typeof o.spec === 'object' && o.spec !== null ? o.spec : {},
    revision: Number.isFinite(rv) ? rv : typeof o.metadata.generation === 'number' ? o.metadata.generation : 0,
    ...(ts ? { creationTimestamp: ts } : {}),
  };
}

const configField = (o: KubeObject): ConfigField | undefined => {
  if (isGatewayApi(o)) return (GATEWAY_API_KINDS as Record<string, ConfigField>)[o.kind];
  if (isGatewayApiX(o)) return (GATEWAY_API_X_KINDS as Record<string, ConfigField>)[o.kind];
  if (o.apiVersion.startsWith('networking.k8s.io/')) return (INGRESS_KINDS as Record<string, ConfigField>)[o.kind];
  const entry = (CONFIG_KINDS as Record<string, readonly [string, ConfigField]>)[o.kind];
  return entry && o.apiVersion.startsWith(`${entry[0]}/`) ? entry[1] : undefined;
};
const isService = (o: KubeObject): boolean => o.kind === 'Service' && o.apiVersion === 'v1';
/** A Namespace object's traffic-distribution annotation (undefined for anything else). */
const namespaceTrafficOf = (o: KubeObject | undefined): string | undefined =>
  o && o.kind === 'Namespace' && o.apiVersion === 'v1' ? stringMap(o.metadata.annotations)[TRAFFIC_DISTRIBUTION] : undefined;
const isWorkloadEntry = (o: KubeObject): boolean => o.kind === 'WorkloadEntry' && o.apiVersion.startsWith('networking.istio.io/');
const usable = (input: readonly KubeObject[]): KubeObject[] =>
  (Array.isArray(input) ? input : []).filter((o): o is KubeObject => isKubeObject(o) && typeof o.metadata.name === 'string' && o.metadata.name !== '');

/** The state behind each snapshot, for the next updateSnapshot(). */
const states = new WeakMap<Snapshot, RegistryState>();

/** What applying objects to a state touched. */
interface Touched {
  pods: PodInfo[];
  wes: WorkloadEntryInfo[];
  /** Kubernetes services (`ns/name`) whose slices or Endpoints changed. */
  kube: Set<string>;
  fields: Set<ConfigField>;
  namespaces: boolean;
  /** Whether a Secret changed (the state's credentials were copied before the first edit). */
  credentials: boolean;
  /** Whether a ConfigMap's CA changed (likewise copied). */
  configMapCas: boolean;
}

/** `f`, computed once per object (an unchanged object keeps its result across rebuilds). */
function perObject<T>(f: (o: KubeObject) => T | undefined): (o: KubeObject) => T | undefined {
  const memo = new WeakMap<KubeObject, T | null>();
  return (o) => {
    let v = memo.get(o);
    if (v === undefined) memo.set(o, (v = f(o) ?? null));
    return v ?? undefined;
  };
}
// A credential is derived once per Secret object (parsing certificates is the costly part of a full rebuild), a CA
// once per ConfigMap.
const credentialOfSecret = perObject(credentialOf);
const caOfConfigMap = perObject(configMapCaOf);

/** Secrets only carry credentials: they name no namespace of the mesh and take no other part. */
function applySecret(st: RegistryState, o: KubeObject, add: boolean, t: Touched): void {
  if (!t.credentials) {
    st.credentials = new Map(st.credentials);
    t.credentials = true;
  }
  const key = credentialKey(asString(o.metadata.namespace) || 'default', o.metadata.name!);
  const c = add ? credentialOfSecret(o) : undefined;
  if (c) st.credentials.set(key, c);
  else st.credentials.delete(key);
}

/** A ConfigMap's CA (it takes its other parts as any object does: its namespace counts). */
function applyConfigMapCa(st: RegistryState, o: KubeObject, add: boolean, t: Touched): void {
  const key = credentialKey(asString(o.metadata.namespace) || 'default', o.metadata.name!);
  const ca = add ? caOfConfigMap(o) : undefined;
  if (!ca && !st.configMapCas.has(key)) return;
  if (!t.configMapCas) {
    st.configMapCas = new Map(st.configMapCas);
    t.configMapCas = true;
  }
  if (ca) st.configMapCas.set(key, ca);
  else st.configMapCas.delete(key);
}

function apply(st: RegistryState, key: string, o: KubeObject, add: boolean, t: Touched): void {
  if (isSecret(o)) return applySecret(st, o, add, t);
  if (isConfigMap(o)) applyConfigMapCa(st, o, add, t);
  const n = namespaceOf(o);
  if (n !== undefined) {
    const c = (st.nsCount.get(n) ?? 0) + (add ? 1 : -1);
    if (c > 0) st.nsCount.set(n, c);
    else st.nsCount.delete(n);
    if (c === (add ? 1 : 0)) t.namespaces = true;
  } else if (o.kind === 'Namespace' && o.apiVersion === 'v1') {
    if (add) st.nsLabels.set(o.metadata.name!, stringMap(o.metadata.labels));
    else st.nsLabels.delete(o.metadata.name!);
    t.namespaces = true;
  }
  const field = configField(o);
  if (field) {
    if (add) st.configs[field]!.set(key, toConfig(o));
    else st.configs[field]!.delete(key);
    t.fields.add(field);
  }
  if (o.kind === 'Pod') {
    const pk = podKey(namespaceOf(o) ?? 'default', o.metadata.name!);
    const before = st.idx.pods.get(pk);
    if (before) {
      indexPod(st.idx.podsByLabel, before, false);
      st.idx.pods.delete(pk);
      t.pods.push(before);
    }
    const info = add ? podOf(o) : undefined;
    if (info) {
      st.idx.pods.set(pk, info);
      indexPod(st.idx.podsByLabel, info, true);
      t.pods.push(info);
    }
  }
  const owner = indexEndpointsObject(st, key, o, add);
  if (owner) t.kube.add(owner);
  if (isWorkloadEntry(o)) {
    const before = st.wes.get(key);
    if (before) t.wes.push(before);
    st.wes.delete(key);
    const we = add ? workloadEntries([o])[0] : undefined;
    if (we) {
      st.wes.set(key, we);
      t.wes.push(we);
    }
  }
}

const emptyTouched = (): Touched => ({ pods: [], wes: [], kube: new Set(), fields: new Set(), namespaces: false, credentials: false, configMapCas: false });

function sortedNamespaces(st: RegistryState): Map<string, Record<string, string>> {
  const names = new Set([...st.nsLabels.keys(), ...st.nsCount.keys()]);
  return new Map([...names].sort().map((n) => [n, st.nsLabels.get(n) ?? {}]));
}

function safeEndpoints(info: KubeServiceInfo, st: RegistryState): Endpoint[] {
  try {
    return kubeEndpoints(info, st.idx).sort(endpointOrder);
  } catch {
    // A service whose endpoints cannot be read is still a service; it just has none.
    return [];
  }
}

const seObjects = (configs: readonly Config[]): KubeObject[] =>
  configs.map((c) => ({ apiVersion: c.apiVersion, kind: c.kind, metadata: { name: c.name, namespace: c.namespace, labels: c.labels, annotations: c.annotations }, spec: c.spec }));

// Workloads are derived once per pod/WorkloadEntry, so unchanged ones keep their identity (and digests).
const podWorkload = new WeakMap<PodInfo, Workload>();
const weWorkload = new WeakMap<WorkloadEntryInfo, Workload>();
const workloadOfPod = (p: PodInfo): Workload => podWorkload.get(p) ?? (podWorkload.set(p, podWorkloads([p])[0]!), podWorkload.get(p)!);
const workloadOfWe = (w: WorkloadEntryInfo): Workload => weWorkload.get(w) ?? (weWorkload.set(w, workloadEntryWorkloads([w])[0]!), weWorkload.get(w)!);

function assemble(
  st: RegistryState,
  parts: Pick<Snapshot, 'namespaces' | 'services' | 'endpoints' | 'alternatives' | 'workloads'> & Record<ConfigField, Config[]>,
): Snapshot {
  const feed: string[] = [st.domainSuffix, JSON.stringify(st.mesh), st.parts.namespaces!, st.parts.workloads!, st.parts.credentials!, st.parts.configMapCas!];
  for (const f of FIELDS) feed.push(st.parts[f]!);
  for (const host of parts.services.keys()) feed.push(host, st.hostDigests.get(host)!);
  const snap = makeSnapshot(shortHash(feed.join('\n')), st.domainSuffix, st.mesh, { ...parts, localityIndex: { endpoints: parts.endpoints }, credentials: st.credentials, configMapCas: st.configMapCas });
  states.set(snap, st);
  return snap;
}

/**
 * Every snapshot object is made here, in one way, so that they all share one hidden class: the generators read
 * snapshots in hot loops, and a second shape (a narrowed snapshot) deoptimizes them on the first change.
 */
function makeSnapshot(version: string, domainSuffix: string, mesh: MeshSettings, parts: Omit<Snapshot, 'version' | 'domainSuffix' | 'mesh'>): Snapshot {
  return { version, domainSuffix, mesh, ...parts };
}

/** The snapshot with other services and endpoints (same version: a view for generating a part of the output). */
export function withServices(snap: Snapshot, services: Snapshot['services'], endpoints: Snapshot['endpoints']): Snapshot {
  const { version, domainSuffix, mesh, ...parts } = snap;
  return makeSnapshot(version, domainSuffix, mesh, { ...parts, services, endpoints });
}

/** Options of the mesh that shape a snapshot: domain suffix, registry-only, trust domain, tracing, access log. */
/**
 * What of the mesh config a snapshot carries (config/mesh-options.ts makes it from a mesh config): the domain suffix,
 * `registryOnly`, `trustDomain` and `autoMtls` (Istio's enableAutoMtls; absent: true), and the MeshSettings fields
 * as the generators read them (model/types.ts says what each means).
 */
export type SnapshotOptions = {
  domainSuffix?: string;
  registryOnly?: boolean;
  trustDomain?: string;
  autoMtls?: boolean;
} & Partial<Omit<MeshSettings, 'registryOnly' | 'trustDomain' | 'autoMtlsOff'>>;

/** A setting that says something: absent, false, 0, '' and [] leave the field out of the snapshot's settings. */
const says = (v: unknown): boolean => v !== undefined && v !== null && v !== false && v !== 0 && v !== '' && !(Array.isArray(v) && v.length === 0);

/** The snapshot's mesh settings: the options' fields that say something, copied (a caller's later change reaches no snapshot). */
function meshSettings(opts: SnapshotOptions): MeshSettings {
  const { domainSuffix: _suffix, registryOnly, trustDomain, autoMtls, ...fields } = opts;
  const out: MeshSettings = { registryOnly: registryOnly === true, trustDomain: trustDomain || DEFAULT_TRUST_DOMAIN };
  for (const [k, v] of Object.entries(fields)) if (says(v)) Object.assign(out, { [k]: structuredClone(v) });
  // No providers is as none given.
  if (out.authzProviders && Object.keys(out.authzProviders).length === 0) delete out.authzProviders;
  if (autoMtls === false) out.autoMtlsOff = true;
  return out;
}

export function buildSnapshot(input: readonly KubeObject[], opts: SnapshotOptions = {}): Snapshot {
  const domainSuffix = opts.domainSuffix || DEFAULT_DOMAIN_SUFFIX;
  const mesh = meshSettings(opts);
  const all = usable(input);
  // Objects of namespaces the discovery selectors leave out are not read at all.
  const discovered = mesh.discoverySelectors ? discoveredNamespaces(mesh.discoverySelectors, namespaceLabels(all)) : undefined;
  const keyed = (discovered ? all.filter((o) => inDiscovery(o, discovered)) : all).map((o) => [objectKey(o), o] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const configs: Record<string, Map<string, Config>> = {};
  for (const f of FIELDS) configs[f] = new Map();
  const st: RegistryState = {
    domainSuffix,
    mesh,
    objects: new Map(keyed),
    nsCount: new Map(),
    nsLabels: new Map(),
    discovered,
    configs,
    idx: { slices: new Map(), endpoints: new Map(), podsByLabel: new Map(), pods: new Map() },
    podRefs: new Map(),
    wes: new Map(),
    kube: new Map(),
    kubeByNs: new Map(),
    hostDigests: new Map(),
    credentials: new Map(),
    configMapCas: new Map(),
    parts: {},
  };
  const t = emptyTouched();
  for (const [key, o] of st.objects) apply(st, key, o, true, t);
  // Services once every Namespace is known: a Service may inherit its namespace's traffic distribution.
  const namespaceTraffic = (ns: string): string | undefined => namespaceTrafficOf(st.objects.get(objectKey({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })));
  for (const o of st.objects.values()) {
    if (!isService(o)) continue;
    const info = kubeServices([o], domainSuffix, namespaceTraffic)[0];
    if (!info) continue;
    st.kube.set(podKey(info.service.namespace, info.service.name), info);
    st.kubeByNs.set(info.service.namespace, [...(st.kubeByNs.get(info.service.namespace) ?? []), info]);
  }
  const lists = {} as Record<ConfigField, Config[]>;
  for (const f of FIELDS) lists[f] = [...configs[f]!.values()].sort(compareConfigs);

  const found: Array<{ service: Service; endpoints: Endpoint[] }> = [];
  for (const info of st.kube.values()) found.push({ service: info.service, endpoints: safeEndpoints(info, st) });
  // ServiceEntries in config order (oldest first): a host's definitions come in Istio's order.
  found.push(...serviceEntryServices(seObjects(lists.serviceEntries), [...st.wes.values()], [...st.idx.pods.values()], entryScopeOf(st.mesh, (n) => st.nsLabels.get(n))));
  const services = new Map<string, Service>();
  const endpoints = new Map<string, Endpoint[]>();
  const alternatives = new Map<string, HostDefinition[]>();
  // By hostname (a stable sort: Kubernetes services first, then ServiceEntries oldest first): the first definition of
  // a host is its service, the others are kept beside it (host-definitions.ts).
  for (const [host, [first, ...rest]] of groupDefinitions(found.sort((a, b) => (a.service.hostname < b.service.hostname ? -1 : a.service.hostname > b.service.hostname ? 1 : 0)))) {
    services.set(host, first!.service);
    endpoints.set(host, first!.endpoints);
    if (rest.length > 0) alternatives.set(host, rest);
    st.hostDigests.set(host, definitionsDigest(first!.service, first!.endpoints, rest));
  }
  const workloads = [...[...st.idx.pods.values()].map(workloadOfPod), ...[...st.wes.values()].map(workloadOfWe)].sort(workloadOrder);
  const namespaces = sortedNamespaces(st);
  st.parts.namespaces = shortHash(canonical([...namespaces]));
  st.parts.workloads = workloadsDigest(workloads);
  st.parts.credentials = credentialsDigest(st.credentials);
  st.parts.configMapCas = shortHash(canonical([...st.configMapCas].sort()));
  withGatewayApi(lists, services, namespaces, domainSuffix);
  withIngresses(lists, services, domainSuffix, st.mesh);
  withBackendTls(lists, services, domainSuffix, st.configMapCas);
  for (const f of FIELDS) st.parts[f] = configsDigest(lists[f]);
  return assemble(st, { namespaces, services, endpoints, alternatives, workloads, ...lists });
}

/** The fields from which `virtualServices` and `gateways` are made: Istio's own, and the Gateway API's kinds. */
const ROUTE_FIELDS: readonly ConfigField[] = ['virtualServices', 'gateways', ...Object.values(GATEWAY_API_KINDS).filter((f) => f !== 'backendTlsPolicies'), ...Object.values(INGRESS_KINDS)];

/**
 * Appends to Istio's VirtualServices and Gateways (`lists`, sorted) those made from Gateway API objects: routes
 * attached to Services, then Gateway API Gateways and the routes attached to them, then the ListenerSets on those
 * Gateways and the routes attached to them.
 */
function withGatewayApi(lists: Record<ConfigField, Config[]>, services: ReadonlyMap<string, Service>, namespaces: ReadonlyMap<string, Record<string, string>>, domainSuffix: string): void {
  const routes = [...lists.httpRoutes, ...lists.grpcRoutes, ...lists.tlsRoutes, ...lists.tcpRoutes].sort(compareConfigs);
  if (routes.length === 0 && lists.kubernetesGateways.length === 0) return;
  const w = { domainSuffix, services, grants: grantObjects(lists.referenceGrants), namespaces, serviceEntries: lists.serviceEntries };
  const cache = routeCache();
  const kube = kubernetesGatewayConfigs(lists.kubernetesGateways, routes, w, cache);
  const sets = lists.listenerSets.length ? listenerSetConfigs(listenerSetOutcomes(lists.kubernetesGateways, lists.listenerSets, w), routes, w, cache) : { gateways: [], virtualServices: [] };
  lists.virtualServices = [...lists.virtualServices, ...gatewayRouteVirtualServices(routes, w), ...kube.virtualServices, ...sets.virtualServices];
  lists.gateways = [...lists.gateways, ...kube.gateways, ...sets.gateways];
}

/** Appends to Istio's VirtualServices and Gateways (`lists`) those made from the Ingresses of Istio's class (ingress.ts). */
function withIngresses(lists: Record<ConfigField, Config[]>, services: ReadonlyMap<string, Service>, domainSuffix: string, mesh: MeshSettings): void {
  if (lists.ingresses.length === 0) return;
  const made = ingressConfigs(lists.ingresses, lists.ingressClasses, { services, domainSuffix, settings: mesh.ingress ?? DEFAULT_INGRESS_SETTINGS });
  if (made.gateways.length) lists.gateways = [...lists.gateways, ...made.gateways];
  if (made.virtualServices.length) lists.virtualServices = [...lists.virtualServices, ...made.virtualServices];
}

/**
 * Appends to the DestinationRules (`lists`, sorted) those derived from BackendTLSPolicies (gateway-api-backendtls.ts)
 * and XBackendTrafficPolicies (gateway-api-backendtraffic.ts), one per target host for both.
 */
function withBackendTls(lists: Record<ConfigField, Config[]>, services: ReadonlyMap<string, Service>, domainSuffix: string, cas: ReadonlyMap<string, ConfigMapCa>): void {
  if (lists.backendTlsPolicies.length === 0 && lists.backendTrafficPolicies.length === 0) return;
  const w = { domainSuffix, services, serviceEntries: lists.serviceEntries, ca: configMapLookup(cas) };
  const tls = lists.backendTlsPolicies.length ? backendTlsDestinationRules(backendTlsOutcomes(lists.backendTlsPolicies, w), w) : [];
  const derived = lists.backendTrafficPolicies.length ? withBackendTrafficRules(tls, backendTrafficOutcomes(lists.backendTrafficPolicies, w)) : tls;
  lists.destinationRules = [...lists.destinationRules, ...derived];
}

/** Whether some namespace has other labels in `b` than in `a` (a namespace without labels counts as absent). */
function labelsDiffer(a: ReadonlyMap<string, Record<string, string>>, b: ReadonlyMap<string, Record<string, string>>): boolean {
  const text = (l: Record<string, string> | undefined): string => JSON.stringify(l ?? {});
  for (const n of new Set([...a.keys(), ...b.keys()])) if (text(a.get(n)) !== text(b.get(n))) return true;
  return false;
}

/** Whether the change of key `k` (to `after`, or removed) is a Namespace entering or leaving the discovered ones. */
function discoveryMoves(st: RegistryState, k: string, after: KubeObject | undefined): boolean {
  const before = st.objects.get(k);
  const o = after ?? before;
  if (!o || o.kind !== 'Namespace' || o.apiVersion !== 'v1') return false;
  const now = after ? selectsNamespace(st.mesh.discoverySelectors ?? [], after.metadata.name!, stringMap(after.metadata.labels)) : false;
  return st.discovered!.has(o.metadata.name!) !== now;
}

/** Whether a Namespace's change (`before` → `after`, either absent) gives the ServiceEntries in it another visibility. */
function visibilityMoves(st: RegistryState, prev: Snapshot, before: KubeObject | undefined, after: KubeObject | undefined): boolean {
  const s = st.mesh.serviceEntryVisibility;
  const name = (before ?? after)!.metadata.name!;
  if (!s || !prev.serviceEntries.some((c) => c.namespace === name)) return false;
  const of = (o: KubeObject | undefined): string => entryVisibility(s, name, o?.kind === 'Namespace' && o.apiVersion === 'v1' ? stringMap(o.metadata.labels) : {});
  return of(before) !== of(after);
}

/**
 * The snapshot after `changedKeys` (objectKey of every object added, changed or removed since `prev`) changed;
 * `objects` = all current objects. Deep-equals buildSnapshot(objects) (tests check it over a table of changes).
 * Falls back to buildSnapshot when `prev` was not built here or a Service or ServiceEntry changed.
 */
export function updateSnapshot(prev: Snapshot, input: readonly KubeObject[], changedKeys: Iterable<string>, opts: SnapshotOptions = {}): Snapshot {
  const old = states.get(prev);
  const keys = new Set(changedKeys);
  if (!old || old.domainSuffix !== (opts.domainSuffix || DEFAULT_DOMAIN_SUFFIX) || JSON.stringify(old.mesh) !== JSON.stringify(meshSettings(opts))) return buildSnapshot(input, opts);
  if (keys.size === 0) return prev;
  const fresh = new Map<string, KubeObject>();
  // A few changes (the usual case): only objects whose name ends a changed key are keyed, not every object.
  const few = keys.size <= 16 ? [...keys] : undefined;
  const named = (name: string): boolean => few!.some((k) => k.length > name.length && k.endsWith(name) && k.charCodeAt(k.length - name.length - 1) === 47);
  for (const o of few ? (Array.isArray(input) ? input : []) : usable(input)) {
    if (few) {
      const name = (o as Partial<KubeObject> | null)?.metadata?.name;
      if (typeof name !== 'string' || !named(name) || usable([o]).length === 0) continue;
    }
    const k = objectKey(o);
    if (keys.has(k)) fresh.set(k, o);
  }
  if (old.discovered) {
    // A namespace that enters or leaves the selection brings or takes all its objects: built from scratch.
    for (const k of keys) if (discoveryMoves(old, k, fresh.get(k))) return buildSnapshot(input, opts);
    for (const [k, o] of fresh) if (!inDiscovery(o, old.discovered)) fresh.delete(k);
  }
  for (const k of keys) {
    const [before, after] = [old.objects.get(k), fresh.get(k)];
    for (const o of [before, after]) if (o && (isService(o) || configField(o) === 'serviceEntries')) return buildSnapshot(input, opts);
    // A namespace's traffic distribution is its Services' default.
    if ((before ?? after)?.kind === 'Namespace' && namespaceTrafficOf(before) !== namespaceTrafficOf(after)) return buildSnapshot(input, opts);
    // Its labels give its ServiceEntries their visibility (serviceentry-visibility.ts).
    if ((before ?? after)?.kind === 'Namespace' && visibilityMoves(old, prev, before, after)) return buildSnapshot(input, opts);
  }
  const st = copyState(old);
  const t = emptyTouched();
  for (const k of keys) {
    const before = st.objects.get(k);
    const after = fresh.get(k);
    if (before === after) continue;
    if (before) apply(st, k, before, false, t);
    if (after) {
      st.objects.set(k, after);
      apply(st, k, after, true, t);
    } else st.objects.delete(k);
  }

  // Endpoints of the services the changes touch: selected pods, pods their slices point at, their slices.
  const kubeKeys = new Set(t.kube);
  const podNamespaces = new Set<string>();
  for (const p of t.pods) {
    podNamespaces.add(p.namespace);
    for (const owner of st.podRefs.get(podKey(p.namespace, p.name))?.values() ?? []) kubeKeys.add(owner);
    for (const info of st.kubeByNs.get(p.namespace) ?? []) {
      const sel = info.service.selector;
      if (sel && matchesLabels(p.labels, sel)) kubeKeys.add(podKey(info.service.namespace, info.service.name));
    }
  }
  let endpoints = prev.endpoints;
  let alternatives = prev.alternatives;
  const digestHost = (host: string): void => {
    st.hostDigests.set(host, definitionsDigest(prev.services.get(host)!, endpoints.get(host) ?? [], alternatives.get(host)));
  };
  const setEndpoints = (host: string, eps: Endpoint[]): void => {
    if (endpoints === prev.endpoints) endpoints = new Map(prev.endpoints);
    endpoints.set(host, eps);
    digestHost(host);
  };
  for (const k of kubeKeys) {
    const info = st.kube.get(k);
    if (info && prev.services.get(info.service.hostname) === info.service) setEndpoints(info.service.hostname, safeEndpoints(info, st));
  }
  // ServiceEntries selecting workloads in a namespace that changed: their hosts are recomputed.
  for (const w of t.wes) podNamespaces.add(w.namespace);
  const selecting = prev.serviceEntries.some((c) => !!c.spec?.workloadSelector && podNamespaces.has(c.namespace));
  if (selecting) {
    // The ServiceEntries are unchanged (a change rebuilds whole), so each host has the same definitions as before:
    // their services stay, their endpoints are new.
    for (const [host, defs] of groupDefinitions(serviceEntryServices(seObjects(prev.serviceEntries), [...st.wes.values()], [...st.idx.pods.values()], entryScopeOf(st.mesh, (n) => st.nsLabels.get(n))))) {
      const first = prev.services.get(host);
      if (!first) continue;
      const others = first.source === 'serviceentry' ? defs.slice(1) : defs;
      const before = prev.alternatives.get(host);
      if (before && before.length === others.length) {
        alternatives = new Map(alternatives).set(host, before.map((d, i) => ({ service: d.service, endpoints: others[i]!.endpoints })));
      }
      if (first.source === 'serviceentry') setEndpoints(host, defs[0]!.endpoints);
      else if (before) digestHost(host);
    }
  }

  let workloads = prev.workloads;
  if (t.pods.length > 0 || t.wes.length > 0) {
    const gone = new Set<Workload>();
    const added: Workload[] = [];
    for (const p of t.pods) {
      if (st.idx.pods.get(podKey(p.namespace, p.name)) === p) added.push(workloadOfPod(p));
      else gone.add(workloadOfPod(p));
    }
    const liveWes = new Set(st.wes.values());
    for (const w of t.wes) {
      if (liveWes.has(w)) added.push(workloadOfWe(w));
      else gone.add(workloadOfWe(w));
    }
    workloads = prev.workloads.filter((w) => !gone.has(w));
    for (const w of added) {
      let lo = 0;
      let hi = workloads.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (workloadOrder(workloads[mid]!, w) <= 0) lo = mid + 1;
        else hi = mid;
      }
      workloads.splice(lo, 0, w);
    }
    st.parts.workloads = workloadsDigest(workloads);
  }

  if (t.credentials) st.parts.credentials = credentialsDigest(st.credentials);
  if (t.configMapCas) st.parts.configMapCas = shortHash(canonical([...st.configMapCas].sort()));
  let namespaces = prev.namespaces;
  if (t.namespaces) {
    namespaces = sortedNamespaces(st);
    st.parts.namespaces = shortHash(canonical([...namespaces]));
  }
  const lists = {} as Record<ConfigField, Config[]>;
  // Listeners admit routes by namespace labels too. (A ServiceEntry, which routes may name as a parent, changes the
  // registry: updateSnapshot rebuilds whole for it.)
  const routing = ROUTE_FIELDS.some((f) => t.fields.has(f)) || (namespaces !== prev.namespaces && st.configs.kubernetesGateways!.size > 0 && labelsDiffer(prev.namespaces, namespaces));
  // DestinationRules are derived from BackendTLSPolicies and XBackendTrafficPolicies too.
  const backendTls = t.fields.has('destinationRules') || t.fields.has('backendTlsPolicies') || t.fields.has('backendTrafficPolicies') || (t.configMapCas && st.configs.backendTlsPolicies!.size > 0);
  const made = (f: ConfigField): boolean => (routing && (f === 'virtualServices' || f === 'gateways')) || (backendTls && f === 'destinationRules');
  for (const f of FIELDS) lists[f] = t.fields.has(f) || made(f) ? [...st.configs[f]!.values()].sort(compareConfigs) : prev[f];
  if (routing) {
    withGatewayApi(lists, prev.services, namespaces, st.domainSuffix);
    withIngresses(lists, prev.services, st.domainSuffix, st.mesh);
  }
  if (backendTls) withBackendTls(lists, prev.services, st.domainSuffix, st.configMapCas);
  for (const f of FIELDS) if (t.fields.has(f) || made(f)) st.parts[f] = configsDigest(lists[f]);
  return assemble(st, { namespaces, services: prev.services, endpoints, alternatives, workloads, ...lists });
}
