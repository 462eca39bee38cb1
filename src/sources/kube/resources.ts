/**
 * The resources the Kubernetes source lists and watches, with their API paths. Istio kinds are read at their
 * storage version: v1 (the CRDs in manifests/crds serve and store v1; Istio's own CRDs serve v1 since 1.22), but
 * v1alpha3 for EnvoyFilter, which Istio serves in no other version. Secrets (gateway credentials) only with the
 * mesh config's workloadCertificateSecrets: see kubeResources() and secrets.ts.
 * Pure.
 */
import type { KubeObject } from '../../core/kube.js';
import { ISTIO_KINDS } from '../../validation/index.js';
import { reduceSecret, SECRET_FIELD_SELECTOR } from './secrets.js';
import { reduceConfigMap } from './configmaps.js';
import { GATEWAY_API_GROUP, GATEWAY_API_X_GROUP } from '../../model/gateway-refs.js';

export interface KubeResource {
  kind: string;
  /** apiVersion set on every object before it reaches the store (list items carry none). */
  apiVersion: string;
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  /** Served by a CRD that may be missing: a 404 means "none yet", not an error. */
  crd: boolean;
  /** Validated like the file source does before it is applied. */
  istio: boolean;
  /**
   * Set on a resource the control plane can serve without: what goes without it, said when the API server forbids
   * it (403), which then counts as empty (synced, retried) instead of holding readiness.
   */
  optional?: string;
  /** Sent as `fieldSelector` on list and watch: the API server leaves out what the informer never wants. */
  fieldSelector?: string;
  /**
   * Applied to every object as it arrives (list item or watch event), before the informer caches it: the object
   * to keep (apiVersion/kind set), or undefined to keep nothing (an update that reduces to nothing is a delete).
   */
  reduce?: (obj: unknown) => KubeObject | undefined;
}

const core = (kind: string, plural: string, namespaced = true): KubeResource => ({ kind, apiVersion: 'v1', group: '', version: 'v1', plural, namespaced, crd: false, istio: false });

export const ISTIO_STORAGE_VERSION = 'v1';
/** The version a kind is read at: v1 where it is served, else the first (the stored one) of its versions. */
const readVersion = (versions: readonly string[]): string => (versions.includes(ISTIO_STORAGE_VERSION) ? ISTIO_STORAGE_VERSION : versions[0]!);

/**
 * Gateway API routes, the grants that let them cross namespaces, Gateways, ListenerSets, BackendTLSPolicies and
 * XBackendTrafficPolicies, at the versions Gateway API v1.1 and later serve (BackendTLSPolicy: v1.4). Their CRDs come with the Gateway API, not with mizzen: a cluster without them has none.
 */
const gatewayApi = (kind: string, version: string, plural: string, namespaced = true): KubeResource => ({
  kind,
  apiVersion: `${GATEWAY_API_GROUP}/${version}`,
  group: GATEWAY_API_GROUP,
  version,
  plural,
  namespaced,
  crd: true,
  istio: false,
  optional: 'Gateway API routes, Gateways and BackendTLSPolicies are not served until mizzen may list and watch them (the ClusterRole in manifests/ allows it)',
});
const GATEWAY_API_RESOURCES: readonly KubeResource[] = [
  gatewayApi('HTTPRoute', 'v1', 'httproutes'),
  gatewayApi('GRPCRoute', 'v1', 'grpcroutes'),
  // TLSRoute is v1 from Gateway API v1.5; TCPRoute is served in the experimental channel only, at v1alpha2.
  gatewayApi('TLSRoute', 'v1', 'tlsroutes'),
  gatewayApi('TCPRoute', 'v1alpha2', 'tcproutes'),
  gatewayApi('ReferenceGrant', 'v1beta1', 'referencegrants'),
  gatewayApi('Gateway', 'v1', 'gateways'),
  gatewayApi('GatewayClass', 'v1', 'gatewayclasses', false),
  // BackendTLSPolicy: v1 in the standard channel from Gateway API v1.4 (v1alpha3, experimental channel only, before).
  gatewayApi('BackendTLSPolicy', 'v1', 'backendtlspolicies'),
  // ListenerSet: v1 in the standard channel from Gateway API v1.5 (istiod reads no experimental XListenerSet).
  gatewayApi('ListenerSet', 'v1', 'listenersets'),
  // XBackendTrafficPolicy: the experimental channel's group, at v1alpha1 (its only version).
  { ...gatewayApi('XBackendTrafficPolicy', 'v1alpha1', 'xbackendtrafficpolicies'), apiVersion: `${GATEWAY_API_X_GROUP}/v1alpha1`, group: GATEWAY_API_X_GROUP },
];

const ingressResource = (kind: string, plural: string, namespaced: boolean): KubeResource => ({
  kind,
  apiVersion: 'networking.k8s.io/v1',
  group: 'networking.k8s.io',
  version: 'v1',
  plural,
  namespaced,
  crd: false,
  istio: false,
  optional: 'Kubernetes Ingresses are not served until mizzen may list and watch Ingresses and IngressClasses (the ClusterRole in manifests/ allows it)',
});
const INGRESS_RESOURCES: readonly KubeResource[] = [ingressResource('Ingress', 'ingresses', true), ingressResource('IngressClass', 'ingressclasses', false)];

/** Namespaces, Services, EndpointSlices, Pods, every Istio kind, the Gateway API's kinds, Ingresses and ConfigMaps. */
export const KUBE_RESOURCES: readonly KubeResource[] = [
  core('Namespace', 'namespaces', false),
  core('Service', 'services'),
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true, crd: false, istio: false },
  core('Pod', 'pods'),
  ...ISTIO_KINDS.map((k) => ({
    kind: k.kind,
    apiVersion: `${k.group}/${readVersion(k.versions)}`,
    group: k.group,
    version: readVersion(k.versions),
    plural: k.plural,
    namespaced: true,
    crd: true,
    istio: true,
  })),
  ...GATEWAY_API_RESOURCES,
  // Kubernetes Ingresses and their classes: those of Istio's class are served by the ingress gateway (model/ingress.ts).
  ...INGRESS_RESOURCES,
  // ConfigMaps, reduced to the CA bundles (ca.crt) that BackendTLSPolicies name and the deployed gateways' customizations.
  {
    ...core('ConfigMap', 'configmaps'),
    reduce: reduceConfigMap,
    optional: "BackendTLSPolicies' caCertificateRefs ConfigMaps are not served (their traffic fails), and deployed gateways find no customization ConfigMaps, until mizzen may list and watch ConfigMaps (the ClusterRole in manifests/ allows it)",
  },
];

/** Secrets, reduced to gateway credentials; their types that never carry one are not even listed. */
export const SECRET_RESOURCE: KubeResource = {
  ...core('Secret', 'secrets'),
  fieldSelector: SECRET_FIELD_SELECTOR,
  reduce: reduceSecret,
  optional: "gateways' credentialName Secrets are not served until mizzen may list and watch Secrets (kubectl apply -k manifests/workload-certs)",
};

/** What the Kubernetes source watches: KUBE_RESOURCES, and Secrets when the mesh config's workloadCertificateSecrets is on. */
export function kubeResources(o: { secrets: boolean }): readonly KubeResource[] {
  return o.secrets ? [...KUBE_RESOURCES, SECRET_RESOURCE] : KUBE_RESOURCES;
}

/** `/api/v1` or `/apis/<group>/<version>`. */
export function groupVersionPath(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

/** The all-namespaces collection path (what informers list and watch). */
export function collectionPath(r: Pick<KubeResource, 'group' | 'version' | 'plural'>): string {
  return `${groupVersionPath(r.group, r.version)}/${r.plural}`;
}

/** The path of one object, or of a namespace's collection when `name` is omitted. */
export function objectPath(r: Pick<KubeResource, 'group' | 'version' | 'plural' | 'namespaced'>, namespace: string | undefined, name?: string): string {
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupVersionPath(r.group, r.version)}${ns}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** A short, unique name for logs, metrics and /debug: `pods`, `virtualservices.networking.istio.io`. */
export function resourceName(r: Pick<KubeResource, 'group' | 'plural'>): string {
  return r.group && r.group !== 'discovery.k8s.io' ? `${r.plural}.${r.group}` : r.plural;
}
