/**
 * Istio's automated deployment of Gateway API Gateways (`mizzen serve --deploy-gateways`): for a Gateway of class
 * istio that names no Service to be served by, the ServiceAccount, Deployment and Service that run its gateway
 * proxy, and the HorizontalPodAutoscaler and PodDisruptionBudget a customization asks for, as Istio's gateway
 * controller makes them. Pure: a Gateway, its class, the mesh config and the ConfigMaps in, the objects (or why
 * there are none) out; the writer (sources/kube/gateway-deploy.ts) creates and patches them.
 *
 * - Which Gateways: class istio, whose GatewayClass (when there is one) is Istio's controller's; and managed: no
 *   spec.addresses, or exactly one, of type IPAddress (the Service's loadBalancerIP). A Hostname address names
 *   the Service that serves the Gateway (manual deployment): nothing is made for it.
 * - Names: `<gateway>-<class>`, or the annotation gateway.istio.io/name-override for the Deployment and Service;
 *   the ServiceAccount keeps `<gateway>-<class>` unless gateway.istio.io/service-account names it (as Istio).
 * - Labels and annotations: spec.infrastructure's (the Gateway's own when it has no infrastructure, Istio's
 *   legacy behaviour), annotations without Istio's controller annotations, plus the labels that tie the objects
 *   to their Gateway; every object has an ownerReference to it, so Kubernetes deletes them with it.
 * - The proxy is mizzen's own injection: a pod with one container `istio-proxy` (image auto) and the annotation
 *   inject.istio.io/templates: gateway goes through the injector core (injectPodAs), whose gateway template makes
 *   it a router. Its pods carry sidecar.istio.io/inject: "false", so the webhook leaves them as they are.
 * - The Service: type from networking.istio.io/service-type (LoadBalancer by default), the status port, then one
 *   port per distinct listener port, reaching the same port on the pod: the gateway's Envoy listens on the
 *   listener's port (the Istio Gateway server the conversion makes has that port number, and xds/gen/gateway.ts
 *   listens on the targetPort of the gateway's own Service for it).
 * - Customization (gateway-customization.ts): the class defaults' and the parametersRef ConfigMap's overlays,
 *   strategic merge patches of each object. The HorizontalPodAutoscaler (scaleTargetRef the Deployment,
 *   maxReplicas 1 before its overlays) and the PodDisruptionBudget (selecting the pods by gateway-name) are made
 *   only when an overlay of theirs exists. Like Istio's template, the Deployment never sets replicas itself; when
 *   an HPA is made, replicas an overlay sets are the size at creation only (updateFor leaves them to the HPA).
 */
import type { KubeObject } from '../core/kube.js';
import type { MeshConfig } from '../config/mesh.js';
import { ContainerNames, Labels, Ports } from '../core/constants.js';
import { type Result, fail, ok } from '../core/result.js';
import { type ScalarEqual, holds } from '../core/subset.js';
import { parseQuantity } from '../inject/quantity.js';
import { injectPodAs } from '../inject/pod.js';
import type { ProxyConfigLookup } from '../inject/proxy-configs.js';
import { asArray, asObject, asPort, asString, stringMap } from './selectors.js';
import { GATEWAY_API_GROUP } from './gateway-refs.js';
import { GATEWAY_CLASS, GATEWAY_NAME_LABEL } from './gateway-api-gateways.js';
import { GATEWAY_CONTROLLER } from './gateway-api-status.js';
import { type Customization, type CustomizationInput, customize, gatewayCustomizations } from './gateway-customization.js';

export const GATEWAY_CLASS_NAME_LABEL = 'gateway.networking.k8s.io/gateway-class-name';
/** The label that marks a Deployment as the gateway controller's (Istio's key and value). */
export const MANAGED_LABEL = 'gateway.istio.io/managed';
export const MANAGED_VALUE = 'istio.io-gateway-controller';
export const GatewayAnnotations = {
  nameOverride: 'gateway.istio.io/name-override',
  serviceAccount: 'gateway.istio.io/service-account',
  controllerVersion: 'gateway.istio.io/controller-version',
  serviceType: 'networking.istio.io/service-type',
} as const;
/** The injection template that makes a pod's own istio-proxy a gateway. */
const TEMPLATES_ANNOTATION = 'inject.istio.io/templates';
const GATEWAY_TEMPLATE = 'gateway';
/** Annotations that are instructions to the controller or kubectl, not to be copied onto what it makes. */
const NOT_COPIED: readonly string[] = ['kubectl.kubernetes.io/last-applied-configuration', GatewayAnnotations.nameOverride, GatewayAnnotations.serviceAccount, GatewayAnnotations.controllerVersion];
/** Labels that would choose injection for the pods themselves: the pod template sets its own. */
const INJECTION_LABELS: readonly string[] = [Labels.inject, Labels.revision];
export const SERVICE_TYPES: readonly string[] = ['ClusterIP', 'NodePort', 'LoadBalancer'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The kinds made for a Gateway, in the order they are written (the service account before the pods that use it). */
export type DeployedKind = 'ServiceAccount' | 'Deployment' | 'Service' | 'HorizontalPodAutoscaler' | 'PodDisruptionBudget';
export const DEPLOYED_KINDS: readonly DeployedKind[] = ['ServiceAccount', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget'];
/** The kinds made only when an overlay of theirs exists. */
export type OptionalKind = 'HorizontalPodAutoscaler' | 'PodDisruptionBudget';
export const OPTIONAL_KINDS: readonly OptionalKind[] = ['HorizontalPodAutoscaler', 'PodDisruptionBudget'];

export interface GatewayDeployment {
  /** `namespace/name` of the Gateway. */
  gateway: string;
  /** The objects to make, in DEPLOYED_KINDS order (the optional kinds only when asked for). */
  objects: KubeObject[];
  /** An HPA is among them: the Deployment's replicas are the HPA's. */
  autoscaled: boolean;
  /** The optional kinds not asked for, with the name they would have: one of the controller's left there is deleted. */
  unwanted: Array<{ kind: OptionalKind; name: string }>;
}

/** Whether mizzen answers for the class: istio, unless a GatewayClass istio exists that another controller runs. */
export function isIstioClass(gw: KubeObject, classes: readonly KubeObject[]): boolean {
  if (asObject(gw.spec).gatewayClassName !== GATEWAY_CLASS) return false;
  const cls = classes.find((c) => c.metadata?.name === GATEWAY_CLASS);
  return !cls || asObject(cls.spec).controllerName === GATEWAY_CONTROLLER;
}

/** Istio's "managed" Gateway: no addresses, or exactly one whose type is absent or IPAddress. */
export function isManagedGateway(gw: Pick<KubeObject, 'spec'>): boolean {
  const addresses = asArray(asObject(gw.spec).addresses);
  if (addresses.length === 0) return true;
  if (addresses.length > 1) return false;
  const type = asObject(addresses[0]).type;
  return type === undefined || type === 'IPAddress';
}

/** The Deployment and Service name of a Gateway: `<gateway>-<class>`, or its name-override annotation. */
export function deploymentName(gw: Pick<KubeObject, 'metadata' | 'spec'>): string {
  return asString(gw.metadata.annotations?.[GatewayAnnotations.nameOverride]) ?? defaultName(gw);
}

const defaultName = (gw: Pick<KubeObject, 'metadata' | 'spec'>): string => `${gw.metadata.name ?? ''}-${String(asObject(gw.spec).gatewayClassName)}`;

/** The infrastructure labels and annotations: spec.infrastructure's, or the Gateway's own when it has none. */
function infrastructure(gw: KubeObject): { labels: Record<string, string>; annotations: Record<string, string> } {
  const spec = asObject(gw.spec);
  const infra = 'infrastructure' in spec ? asObject(spec.infrastructure) : undefined;
  const labels = infra ? stringMap(infra.labels) : stringMap(gw.metadata.labels);
  const annotations = infra ? stringMap(infra.annotations) : stringMap(gw.metadata.annotations);
  for (const k of NOT_COPIED) delete annotations[k];
  return { labels, annotations };
}

const without = (m: Record<string, string>, keys: readonly string[]): Record<string, string> => Object.fromEntries(Object.entries(m).filter(([k]) => !keys.includes(k)));

/** The Service ports: the status port, then one per distinct listener port, named by the listener, in listener order. */
export function servicePorts(gw: Pick<KubeObject, 'spec'>): Array<Record<string, unknown>> {
  const ports: Array<Record<string, unknown>> = [{ name: 'status-port', port: Ports.proxyHealth, targetPort: Ports.proxyHealth, protocol: 'TCP', appProtocol: 'tcp' }];
  const seen = new Set<number>([Ports.proxyHealth]);
  asArray(asObject(gw.spec).listeners).forEach((raw, i) => {
    const l = asObject(raw);
    const port = asPort(l.port);
    if (port === undefined || seen.has(port)) return;
    seen.add(port);
    const protocol = (asString(l.protocol) ?? 'TCP').toLowerCase();
    ports.push({ name: asString(l.name) || `${protocol}-${i}`, port, targetPort: port, protocol: 'TCP', appProtocol: protocol });
  });
  return ports;
}

/** What renderGatewayDeployment needs besides the Gateway. */
export interface DeployOptions {
  mesh: MeshConfig;
  /** The ProxyConfig resources known, as the webhook passes them to the injector. */
  proxyConfigs?: ProxyConfigLookup;
  /** The ConfigMaps that customize gateways and where class defaults live; no customization when absent. */
  customization?: CustomizationInput;
}

/** A Gateway's objects, or why it has none (`invalidParameters`: because of its customization). */
export type DeployResult = { ok: true; value: GatewayDeployment } | { ok: false; errors: string[]; invalidParameters?: true };

/** The gateway pod as the injector makes it: spec, labels and annotations of the Deployment's pod template. */
function gatewayPod(namespace: string, name: string, serviceAccount: string, labels: Record<string, string>, annotations: Record<string, string>, o: DeployOptions): Result<{ metadata: Record<string, unknown>; spec: Record<string, unknown> }> {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, labels, annotations: { ...annotations, [TEMPLATES_ANNOTATION]: GATEWAY_TEMPLATE } },
    spec: {
      securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
      serviceAccountName: serviceAccount,
      containers: [{ name: ContainerNames.proxy, image: 'auto' }],
    },
  };
  const r = injectPodAs(pod, { namespace, mesh: o.mesh, proxyConfigs: o.proxyConfigs }, { name, kind: 'Deployment', apiVersion: 'apps/v1' });
  if (!r.ok) return fail(...r.errors.map((e) => `gateway pod: ${e}`));
  if (!r.value.decision.inject) return fail(`gateway pod: not injected: ${r.value.decision.reason === 'already-injected' ? 'it says it was injected already' : r.value.decision.message}`);
  const injected = r.value.pod;
  // The pods are complete as they are: the webhook must leave them alone (Istio's gateway pods say the same).
  const podLabels = { [Labels.inject]: 'false', ...stringMap(injected.metadata.labels) };
  return ok({ metadata: { labels: podLabels, annotations: stringMap(injected.metadata.annotations) }, spec: asObject(injected.spec) });
}

/**
 * The objects of one Gateway (class and managed mode already checked), or why there are none: a service type
 * annotation mizzen does not know, a name the API server would refuse, no uid for the owner references, a pod the
 * injector cannot make, or a customization that cannot be applied (invalidParameters).
 */
export function renderGatewayDeployment(gw: KubeObject, o: DeployOptions): DeployResult {
  const name = gw.metadata.name ?? '';
  const namespace = gw.metadata.namespace || 'default';
  const className = String(asObject(gw.spec).gatewayClassName);
  const errors: string[] = [];
  const uid = asString(gw.metadata.uid);
  if (!uid) errors.push('metadata.uid: required (the objects are owned by the Gateway)');
  const type = gw.metadata.annotations?.[GatewayAnnotations.serviceType] ?? 'LoadBalancer';
  if (!SERVICE_TYPES.includes(type)) errors.push(`metadata.annotations["${GatewayAnnotations.serviceType}"]: "${type}" is not one of ${SERVICE_TYPES.join(', ')}`);
  const deployment = deploymentName(gw);
  const serviceAccount = asString(gw.metadata.annotations?.[GatewayAnnotations.serviceAccount]) ?? defaultName(gw);
  // A Service's name is a DNS label (the Deployment's and the ServiceAccount's rules are looser).
  if (!DNS_LABEL.test(deployment) || deployment.length > 63) errors.push(`the Service name "${deployment}" is not a DNS label of at most 63 characters (shorten the Gateway's name or set ${GatewayAnnotations.nameOverride})`);
  const custom = o.customization ? gatewayCustomizations(gw, o.customization) : ok([]);
  if (!custom.ok) return { ok: false, errors: [...errors, ...custom.errors], invalidParameters: true };
  if (errors.length > 0) return { ok: false, errors };

  const infra = infrastructure(gw);
  const tie = { [GATEWAY_NAME_LABEL]: name, [GATEWAY_CLASS_NAME_LABEL]: className };
  const labels = { ...infra.labels, ...tie };
  const managed = { ...labels, [MANAGED_LABEL]: MANAGED_VALUE };
  const meta = (objName: string, l: Record<string, string>): KubeObject['metadata'] => ({
    name: objName,
    namespace,
    labels: l,
    ...(Object.keys(infra.annotations).length > 0 ? { annotations: { ...infra.annotations } } : {}),
    ownerReferences: [{ apiVersion: `${GATEWAY_API_GROUP}/v1`, kind: 'Gateway', name, uid: uid! }],
  });
  const podLabels = { [Labels.canonicalName]: deployment, [Labels.canonicalRevision]: 'latest', ...without(infra.labels, INJECTION_LABELS), ...tie, [MANAGED_LABEL]: MANAGED_VALUE };
  const pod = gatewayPod(namespace, deployment, serviceAccount, podLabels, infra.annotations, o);
  if (!pod.ok) return pod;

  const addresses = asArray(asObject(gw.spec).addresses).map(asObject);
  const ip = type === 'LoadBalancer' ? asString(addresses[0]?.value) : undefined;
  const rendered: Record<DeployedKind, KubeObject> = {
    ServiceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(serviceAccount, labels) },
    Deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(deployment, managed),
      spec: { selector: { matchLabels: { [GATEWAY_NAME_LABEL]: name } }, template: pod.value },
    },
    Service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(deployment, labels),
      spec: { type, selector: { [GATEWAY_NAME_LABEL]: name }, ports: servicePorts(gw), ...(ip ? { loadBalancerIP: ip } : {}) },
    },
    // Istio's templates: made only when an overlay asks for them (the HPA's maxReplicas is for the overlay to set).
    HorizontalPodAutoscaler: {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta(deployment, managed),
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment }, maxReplicas: 1 },
    },
    PodDisruptionBudget: {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(deployment, managed),
      spec: { selector: { matchLabels: { [GATEWAY_NAME_LABEL]: name } } },
    },
  };
  const made = customized(rendered, custom.value);
  if (!made.ok) return { ...made, invalidParameters: true };
  const objects = made.value;
  const kinds = new Set(objects.map((x) => x.kind));
  return ok({
    gateway: `${namespace}/${name}`,
    objects,
    autoscaled: kinds.has('HorizontalPodAutoscaler'),
    unwanted: OPTIONAL_KINDS.filter((k) => !kinds.has(k)).map((kind) => ({ kind, name: deployment })),
  });
}

/** The objects with their overlays, in DEPLOYED_KINDS order; an optional kind only when some overlay had its key. */
function customized(rendered: Record<DeployedKind, KubeObject>, customizations: readonly Customization[]): Result<KubeObject[]> {
  const objects: KubeObject[] = [];
  const errors: string[] = [];
  for (const kind of DEPLOYED_KINDS) {
    const obj = rendered[kind];
    const r = customize(obj, kind, customizations, MANAGED_LABEL in (obj.metadata.labels ?? {}) ? [GATEWAY_NAME_LABEL, MANAGED_LABEL] : [GATEWAY_NAME_LABEL]);
    if (!r.ok) errors.push(...r.errors);
    else if (r.value.customized || !(OPTIONAL_KINDS as readonly string[]).includes(kind)) objects.push(r.value.object);
  }
  return errors.length > 0 ? { ok: false, errors } : ok(objects);
}

/** One Gateway the controller answers for: its objects, or why it has none. */
export type GatewayPlan = { gateway: string; uid?: string } & DeployResult;

/** The plans for every Gateway of class istio in managed mode among `gateways` (others get nothing, not even a plan). */
export function gatewayDeployments(gateways: readonly KubeObject[], classes: readonly KubeObject[], o: DeployOptions): GatewayPlan[] {
  return gateways
    .filter((gw) => gw.kind === 'Gateway' && isIstioClass(gw, classes) && isManagedGateway(gw))
    .map((gw) => ({ gateway: `${gw.metadata.namespace || 'default'}/${gw.metadata.name ?? ''}`, ...(gw.metadata.uid ? { uid: gw.metadata.uid } : {}), ...renderGatewayDeployment(gw, o) }));
}

/**
 * Whether an object found under a name the controller wants is its own to update: a Deployment it (or Istio)
 * made carries the managed label and this Gateway's name label; a ServiceAccount or Service, this Gateway's name
 * label and an owner reference to this Gateway (its uid, when both have one); an HPA or PDB, all three (a user's
 * own HPA for the gateway, as Istio's documentation suggests, has no owner reference). Anything else is someone else's.
 */
export function ownedBy(kind: DeployedKind, existing: KubeObject, gw: { name: string; uid?: string }): boolean {
  const labels = stringMap(asObject(existing.metadata).labels);
  if (labels[GATEWAY_NAME_LABEL] !== gw.name) return false;
  if (kind === 'Deployment') return MANAGED_LABEL in labels;
  if ((OPTIONAL_KINDS as readonly string[]).includes(kind) && !(MANAGED_LABEL in labels)) return false;
  return gatewayOwners(existing, gw.name).some((r) => !gw.uid || !r.uid || r.uid === gw.uid);
}

const gatewayOwners = (o: KubeObject, name: string): Array<Record<string, any>> =>
  asArray(asObject(o.metadata).ownerReferences)
    .map(asObject)
    .filter((r) => r.kind === 'Gateway' && r.name === name && String(r.apiVersion ?? '').startsWith(`${GATEWAY_API_GROUP}/`));

/**
 * Whether an HPA or PDB no customization asks for any more is the controller's to delete: its own (ownedBy), and
 * owned by this very Gateway (the same uid on both sides), so that nothing a user made or an older Gateway of the
 * same name left is ever deleted.
 */
export function leftoverOf(kind: OptionalKind, existing: KubeObject, gw: { name: string; uid?: string }): boolean {
  return !!gw.uid && ownedBy(kind, existing, gw) && gatewayOwners(existing, gw.name).some((r) => r.uid === gw.uid);
}

/** Spec fields the controller clears when it no longer sets them (the loadBalancerIP of a Gateway whose address went). */
const CLEARED: Readonly<Record<DeployedKind, readonly string[]>> = { ServiceAccount: [], Deployment: [], Service: ['loadBalancerIP'], HorizontalPodAutoscaler: [], PodDisruptionBudget: [] };

/** Resource quantities come back in canonical form ("1000m" as "1", "1024Mi" as "1Gi"): compared by value. */
const sameValue: ScalarEqual = (wanted, actual, path) => {
  if (wanted === actual) return true;
  const parent = path[path.length - 2];
  if ((parent !== 'requests' && parent !== 'limits') || typeof wanted !== 'string' || typeof actual !== 'string') return false;
  const [w, a] = [parseQuantity(wanted), parseQuantity(actual)];
  return w !== undefined && w === a;
};

/**
 * The JSON merge patch that makes `existing` (the API server's copy of an object the controller owns) hold what
 * `desired` sets, or undefined when it holds it already. Labels and annotations are merged (others' keys stay), the
 * Gateway's owner reference is added to the others, the spec is sent whole where any of it differs (a merge patch
 * replaces lists whole: containers, ports), and the object's resourceVersion makes it conditional. `autoscaled`: an
 * HPA sizes the Deployment, whose replicas (an overlay's) are then neither compared nor sent.
 */
export function updateFor(kind: DeployedKind, wanted: KubeObject, existing: KubeObject, autoscaled = false): Record<string, unknown> | undefined {
  let desired = wanted;
  if (kind === 'Deployment' && autoscaled && asObject(wanted.spec).replicas !== undefined) {
    const { replicas: _, ...spec } = asObject(wanted.spec);
    desired = { ...wanted, spec };
  }
  const meta: Record<string, unknown> = {};
  const have = asObject(existing.metadata);
  for (const k of ['labels', 'annotations'] as const) if (desired.metadata[k] && !holds(have[k], desired.metadata[k])) meta[k] = desired.metadata[k];
  const owners = asArray(have.ownerReferences);
  const owner = desired.metadata.ownerReferences?.[0];
  if (owner && !owners.some((r) => holds(r, owner))) meta.ownerReferences = [...owners, owner];
  let spec: Record<string, unknown> | undefined;
  if (desired.spec !== undefined && !holds(existing.spec, desired.spec, sameValue)) spec = { ...desired.spec };
  for (const key of CLEARED[kind]) {
    if (asObject(desired.spec)[key] !== undefined || asObject(existing.spec)[key] === undefined) continue;
    spec ??= {};
    spec[key] = null;
  }
  if (Object.keys(meta).length === 0 && spec === undefined) return undefined;
  return { metadata: { ...meta, ...(have.resourceVersion ? { resourceVersion: have.resourceVersion } : {}) }, ...(spec ? { spec } : {}) };
}
