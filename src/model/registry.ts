/**
 * The Kubernetes half of the registry: Pods → workloads, Services → services, and their endpoints from
 * EndpointSlices (preferred), v1 Endpoints, or the Pods the service selects. Pure; bad objects are skipped.
 */
import type { KubeObject } from '../core/kube.js';
import { fqdn } from '../core/kube.js';
import { Annotations, ContainerNames, Labels, MeshCerts } from '../core/constants.js';
import type { Endpoint, Service, ServicePort, Workload } from './types.js';
import { selectProtocol } from './protocol.js';
import { workloadOf } from '../inject/workload.js';
import { asArray, asObject, asPort, asString, matchesLabels, stringMap } from './selectors.js';

/** The Service annotation (and ServiceEntry's) that says what spec.trafficDistribution says, for clusters without it. */
export const TRAFFIC_DISTRIBUTION = 'networking.istio.io/traffic-distribution';

/** What a Service's traffic distribution asks for: its nearest endpoints first, by zone or by node. */
export type TrafficDistribution = 'PreferSameZone' | 'PreferSameNode';

/** The values mizzen reads, by their lower-case spelling (the annotation is compared without case, as istiod compares it). */
const DISTRIBUTIONS: Record<string, TrafficDistribution> = { prefersamezone: 'PreferSameZone', preferclose: 'PreferSameZone', prefersamenode: 'PreferSameNode' };

/**
 * What a Service's spec.trafficDistribution asks for (PreferSameZone, PreferClose its former name, PreferSameNode),
 * else its annotation, else its namespace's annotation (a Service that says nothing inherits it, as in Istio 1.30);
 * undefined for anything else (Any, an unknown value): no preference.
 */
export function trafficDistributionOf(spec: string | undefined, annotation: string | undefined, namespaceAnnotation?: string): TrafficDistribution | undefined {
  if (spec !== undefined) return spec === 'PreferClose' || spec === 'PreferSameZone' || spec === 'PreferSameNode' ? DISTRIBUTIONS[spec.toLowerCase()] : undefined;
  const a = annotation ?? namespaceAnnotation;
  return a === undefined ? undefined : DISTRIBUTIONS[a.toLowerCase()];
}

/** `{trafficDistribution}` when there is one, else nothing: spread into a Service. */
export const withDistribution = (d: TrafficDistribution | undefined): { trafficDistribution?: TrafficDistribution } => (d ? { trafficDistribution: d } : {});

/** A pod as the registry needs it. */
export interface PodInfo {
  name: string;
  namespace: string;
  ip: string;
  labels: Record<string, string>;
  serviceAccount: string;
  ready: boolean;
  /** Container port name → number. */
  namedPorts: Map<string, number>;
  tlsMode: 'istio' | 'disabled';
  locality: string;
  /** spec.nodeName: the node it runs on, for PreferSameNode. */
  node?: string;
  /** Its workload's name (its Deployment's, StatefulSet's…, as inject/workload.ts derives it), for self-discovery. */
  workloadName?: string;
}

const ns = (o: KubeObject): string => asString(o.metadata.namespace) || 'default';

/**
 * A workload's locality `region/zone/subzone`, as Istio reads it: the label `topology.istio.io/locality` (or the older
 * `istio-locality`), written `region.zone.subzone` since label values cannot hold `/` (a value that has `/` is taken
 * as it is); else the Kubernetes topology labels.
 */
export function localityOf(labels: Record<string, string>): string {
  const labelled = labels['topology.istio.io/locality'] || labels['istio-locality'];
  if (labelled) return labelled.includes('/') ? labelled : labelled.split('.').join('/');
  const region = labels['topology.kubernetes.io/region'] ?? '';
  const zone = labels['topology.kubernetes.io/zone'] ?? '';
  const sub = labels['topology.istio.io/subzone'] ?? '';
  if (!region && !zone && !sub) return '';
  return [region, zone, sub].join('/');
}

/**
 * Whether a pod accepts mesh mTLS: labelled tlsMode=istio (or, without the label, carrying the sidecar) and, when
 * an injector recorded what it added (sidecar.istio.io/status), given the mesh certificates' volume: a sidecar
 * injected without them cannot take mTLS, whatever its label says.
 */
function tlsModeOf(labels: Record<string, string>, annotations: Record<string, string>, containers: unknown[]): 'istio' | 'disabled' {
  const status = annotations[Annotations.status];
  const label = labels[Labels.tlsMode];
  const sidecar = label ? label === 'istio' : status !== undefined || containers.some((c) => asObject(c).name === ContainerNames.proxy);
  return sidecar && (status === undefined || injectedVolumes(status).includes(MeshCerts.volume)) ? 'istio' : 'disabled';
}

/** The volumes a sidecar.istio.io/status annotation lists ([] when it cannot be read). */
function injectedVolumes(status: string): unknown[] {
  try {
    const v: unknown = asObject(JSON.parse(status)).volumes;
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/** Pods with an IP that are not being deleted and have not finished. */
export function podInfos(objects: readonly KubeObject[]): PodInfo[] {
  const out: PodInfo[] = [];
  for (const o of objects) {
    if (o.kind !== 'Pod' || o.apiVersion !== 'v1' || !asString(o.metadata.name)) continue;
    if (o.metadata.deletionTimestamp) continue;
    const status = asObject(o.status);
    const spec = asObject(o.spec);
    const ip = asString(status.podIP);
    if (!ip || status.phase === 'Succeeded' || status.phase === 'Failed') continue;
    const ready = asArray(status.conditions).some((c) => asObject(c).type === 'Ready' && asObject(c).status === 'True');
    const namedPorts = new Map<string, number>();
    const containers = asArray(spec.containers);
    for (const c of containers) {
      for (const p of asArray(asObject(c).ports)) {
        const name = asString(asObject(p).name);
        const num = asPort(asObject(p).containerPort);
        if (name && num && !namedPorts.has(name)) namedPorts.set(name, num);
      }
    }
    const labels = stringMap(o.metadata.labels);
    // A malformed ownerReferences names no owner (workloadOf reads a list).
    const workloadName = workloadOf({ ...o, metadata: { ...o.metadata, ownerReferences: asArray(o.metadata.ownerReferences) as never } }).name;
    out.push({
      name: o.metadata.name!,
      namespace: ns(o),
      ip,
      labels,
      serviceAccount: asString(spec.serviceAccountName) || asString(spec.serviceAccount) || 'default',
      ready,
      namedPorts,
      tlsMode: tlsModeOf(labels, stringMap(o.metadata.annotations), containers),
      locality: localityOf(labels),
      ...(asString(spec.nodeName) ? { node: spec.nodeName as string } : {}),
      ...(workloadName ? { workloadName } : {}),
    });
  }
  return out;
}

export function podWorkloads(pods: readonly PodInfo[]): Workload[] {
  return pods.map((p) => ({ name: p.name, namespace: p.namespace, ip: p.ip, labels: p.labels, serviceAccount: p.serviceAccount, kind: 'Pod', ready: p.ready }));
}

export interface KubeServiceInfo {
  service: Service;
  /** Per service port: the raw targetPort (number or container port name). */
  targets: Array<number | string>;
}

/** v1 Services → Services (ExternalName ones resolve by DNS to the external name). */
/**
 * `namespaceTraffic`: a namespace's networking.istio.io/traffic-distribution annotation, which its Services that
 * say nothing of their own inherit.
 */
export function kubeServices(objects: readonly KubeObject[], domainSuffix: string, namespaceTraffic: (namespace: string) => string | undefined = () => undefined): KubeServiceInfo[] {
  const out: KubeServiceInfo[] = [];
  for (const o of objects) {
    if (o.kind !== 'Service' || o.apiVersion !== 'v1' || !asString(o.metadata.name)) continue;
    const spec = asObject(o.spec);
    const ports: ServicePort[] = [];
    const targets: Array<number | string> = [];
    for (const raw of asArray(spec.ports)) {
      const p = asObject(raw);
      const port = asPort(p.port);
      if (!port) continue;
      const name = asString(p.name) ?? '';
      const tp = asPort(p.targetPort) ?? (typeof p.targetPort === 'string' && p.targetPort !== '' ? p.targetPort : port);
      ports.push({
        name,
        port,
        targetPort: typeof tp === 'number' ? tp : port,
        ...(typeof tp === 'string' ? { targetPortName: tp } : {}),
        protocol: selectProtocol({ name, port, appProtocol: asString(p.appProtocol), kubeProtocol: asString(p.protocol) }),
      });
      targets.push(tp);
    }
    const clusterIPs = [...new Set([asString(spec.clusterIP), ...asArray(spec.clusterIPs).map(asString)].filter((x): x is string => !!x && x !== 'None'))];
    const headless = spec.clusterIP === 'None';
    const externalName = spec.type === 'ExternalName' ? asString(spec.externalName) : undefined;
    const selector = stringMap(spec.selector);
    const external = externalAddresses(o);
    const annotations = stringMap(o.metadata.annotations);
    const exportTo = (annotations['networking.istio.io/exportTo'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    out.push({
      service: {
        hostname: fqdn(o.metadata.name!, ns(o), domainSuffix),
        name: o.metadata.name!,
        namespace: ns(o),
        ports,
        addresses: clusterIPs,
        resolution: externalName ? 'DNS' : headless ? 'NONE' : 'STATIC',
        meshExternal: !!externalName,
        labels: stringMap(o.metadata.labels),
        ...(Object.keys(selector).length > 0 ? { selector } : {}),
        exportTo,
        source: 'kubernetes',
        ...(externalName ? { externalName } : {}),
        ...(external.length > 0 ? { externalAddresses: external } : spec.type === 'LoadBalancer' ? { loadBalancerPending: true as const } : {}),
        ...withDistribution(trafficDistributionOf(asString(spec.trafficDistribution), annotations[TRAFFIC_DISTRIBUTION], namespaceTraffic(ns(o)))),
      },
      targets,
    });
  }
  return out;
}

/** A Service's addresses outside the cluster: its load balancer's (IP, else hostname), then spec.externalIPs; each once. */
function externalAddresses(o: KubeObject): string[] {
  const ingress = asArray(asObject(asObject(asObject(o.status).loadBalancer)).ingress).map((i) => asString(asObject(i).ip) ?? asString(asObject(i).hostname));
  const ips = asArray(asObject(o.spec).externalIPs).map(asString);
  return [...new Set([...ingress, ...ips].filter((a): a is string => !!a))];
}

export const podKey = (namespace: string, name: string): string => `${namespace}/${name}`;

function endpointFor(addr: string, port: number, sp: ServicePort, pod: PodInfo | undefined, healthy: boolean, namespace: string): Endpoint {
  return {
    address: addr,
    port,
    servicePortName: sp.name,
    labels: pod?.labels ?? {},
    locality: pod?.locality ?? '',
    weight: 1,
    healthy,
    ...(pod ? { serviceAccount: pod.serviceAccount, workload: podKey(namespace, pod.name) } : {}),
    ...(pod?.node ? { node: pod.node } : {}),
    ...(pod?.workloadName ? { workloadName: pod.workloadName } : {}),
    tlsMode: pod?.tlsMode ?? 'disabled',
  };
}

/** Endpoints of one Kubernetes service: EndpointSlices if any exist for it, else v1 Endpoints, else selected Pods. */
/** Lookups built once per snapshot: slices and Endpoints by `ns/service`, pods by namespace and by `ns/name`. */
export interface KubeIndex {
  slices: Map<string, KubeObject[]>;
  endpoints: Map<string, KubeObject>;
  /** `ns/key=value` → pods with that label: a selector only looks at the pods of its rarest pair. */
  podsByLabel: Map<string, PodInfo[]>;
  pods: Map<string, PodInfo>;
}

/**
 * The service (`ns/name`) an EndpointSlice or Endpoints object belongs to. FQDN slices belong to none: they hold
 * host names, which EDS cannot carry (one would void the service's whole assignment), and istiod skips them too.
 */
export function endpointsOwner(o: KubeObject): string | undefined {
  if (o.kind === 'EndpointSlice' && o.apiVersion === 'discovery.k8s.io/v1') {
    const svc = stringMap(o.metadata.labels)['kubernetes.io/service-name'];
    return svc && (o as { addressType?: unknown }).addressType !== 'FQDN' ? `${ns(o)}/${svc}` : undefined;
  }
  if (o.kind === 'Endpoints' && o.apiVersion === 'v1') return `${ns(o)}/${o.metadata.name}`;
  return undefined;
}

export function indexKube(objects: readonly KubeObject[], pods: readonly PodInfo[]): KubeIndex {
  const idx: KubeIndex = { slices: new Map(), endpoints: new Map(), podsByLabel: new Map(), pods: indexPods(pods) };
  for (const o of objects) {
    const key = endpointsOwner(o);
    if (key === undefined) continue;
    if (o.kind === 'EndpointSlice') idx.slices.set(key, [...(idx.slices.get(key) ?? []), o]);
    else if (!idx.endpoints.has(key)) idx.endpoints.set(key, o);
  }
  for (const p of pods) {
    for (const [k, v] of Object.entries(p.labels)) {
      const key = `${p.namespace}/${k}=${v}`;
      const list = idx.podsByLabel.get(key) ?? [];
      list.push(p);
      idx.podsByLabel.set(key, list);
    }
  }
  return idx;
}

export function kubeEndpoints(info: KubeServiceInfo, idx: KubeIndex): Endpoint[] {
  const podIndex = idx.pods;
  const svc = info.service;
  if ((svc as { externalName?: string }).externalName) {
    const host = (svc as { externalName?: string }).externalName!;
    return svc.ports.map((sp) => endpointFor(host, sp.port, sp, undefined, true, svc.namespace));
  }
  const key = `${svc.namespace}/${svc.name}`;
  const slices = idx.slices.get(key);
  if (slices && slices.length > 0) return fromSlices(svc, slices, podIndex);
  const eps = idx.endpoints.get(key);
  if (eps) return fromEndpoints(svc, eps, podIndex);
  if (!svc.selector) return [];
  const out: Endpoint[] = [];
  let candidates: PodInfo[] = [];
  for (const [k, v] of Object.entries(svc.selector)) {
    const list = idx.podsByLabel.get(`${svc.namespace}/${k}=${v}`) ?? [];
    if (list.length === 0) return [];
    if (candidates.length === 0 || list.length < candidates.length) candidates = list;
  }
  for (const pod of candidates) {
    if (!matchesLabels(pod.labels, svc.selector)) continue;
    svc.ports.forEach((sp, i) => {
      const t = info.targets[i];
      const port = typeof t === 'number' ? t : t !== undefined ? pod.namedPorts.get(t) : sp.port;
      if (port !== undefined) out.push(endpointFor(pod.ip, port, sp, pod, pod.ready, svc.namespace));
    });
  }
  return out;
}

function targetPod(ref: unknown, namespace: string, podIndex: Map<string, PodInfo>): PodInfo | undefined {
  const r = asObject(ref);
  if (r.kind !== 'Pod' || !asString(r.name)) return undefined;
  return podIndex.get(podKey(asString(r.namespace) || namespace, r.name));
}

function fromSlices(svc: Service, slices: readonly KubeObject[], podIndex: Map<string, PodInfo>): Endpoint[] {
  const out: Endpoint[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    const sliceObj = slice as Record<string, unknown>;
    const ports = asArray(sliceObj.ports).map(asObject);
    for (const raw of asArray(sliceObj.endpoints)) {
      const ep = asObject(raw);
      const cond = asObject(ep.conditions);
      if (cond.terminating === true && cond.serving !== true) continue;
      const healthy = cond.ready !== false;
      const pod = targetPod(ep.targetRef, svc.namespace, podIndex);
      for (const addr of asArray(ep.addresses)) {
        if (typeof addr !== 'string' || addr === '') continue;
        for (const sp of svc.ports) {
          const p = ports.find((x) => (asString(x.name) ?? '') === sp.name);
          const port = p ? asPort(p.port) : undefined;
          if (port === undefined) continue;
          const key = `${addr}:${port}:${sp.name}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const e = endpointFor(addr, port, sp, pod, healthy, svc.namespace);
          // A pod's own labels say where it is; else the zone (and node) Kubernetes records in the slice.
          if (!e.locality && asString(ep.zone)) e.locality = `/${ep.zone}`;
          if (!e.node && asString(ep.nodeName)) e.node = ep.nodeName as string;
          out.push(e);
        }
      }
    }
  }
  return out;
}

function fromEndpoints(svc: Service, eps: KubeObject, podIndex: Map<string, PodInfo>): Endpoint[] {
  const out: Endpoint[] = [];
  for (const raw of asArray((eps as Record<string, unknown>).subsets)) {
    const subset = asObject(raw);
    const ports = asArray(subset.ports).map(asObject);
    const add = (list: unknown, healthy: boolean): void => {
      for (const a of asArray(list)) {
        const addr = asString(asObject(a).ip);
        if (!addr) continue;
        const pod = targetPod(asObject(a).targetRef, svc.namespace, podIndex);
        for (const sp of svc.ports) {
          const p = ports.find((x) => (asString(x.name) ?? '') === sp.name) ?? (ports.length === 1 && svc.ports.length === 1 ? ports[0] : undefined);
          const port = p ? asPort(p.port) : undefined;
          if (port !== undefined) out.push(endpointFor(addr, port, sp, pod, healthy, svc.namespace));
        }
      }
    };
    add(subset.addresses, true);
    add(subset.notReadyAddresses, false);
  }
  return out;
}

export const indexPods = (pods: readonly PodInfo[]): Map<string, PodInfo> => new Map(pods.map((p) => [podKey(p.namespace, p.name), p]));
