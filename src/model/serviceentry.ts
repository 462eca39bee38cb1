/**
 * The ServiceEntry half of the registry: each host of a ServiceEntry becomes a Service; its endpoints are the
 * inline `endpoints`, or the WorkloadEntries (and Pods) its `workloadSelector` picks in the same namespace, or —
 * for DNS resolution without endpoints — the host itself. A DYNAMIC_DNS host (a wildcard: the proxy resolves each
 * name it is asked for) has no endpoints nor addresses and keeps only the ports Envoy's dynamic forward proxy serves (HTTP, TLS,
 * GRPC, HTTP2), as istiod builds nothing for the others; DYNAMIC_DNS on a host without a wildcard (validation refuses
 * it) is NONE, as before. Pure; bad fields are skipped.
 */
import type { KubeObject } from '../core/kube.js';
import { Labels } from '../core/constants.js';
import type { Endpoint, Resolution, Service, ServicePort, Workload } from './types.js';
import { parseProtocol, selectProtocol } from './protocol.js';
import { TRAFFIC_DISTRIBUTION, trafficDistributionOf, withDistribution, type PodInfo } from './registry.js';
import { asArray, asObject, asPort, asString, matchesLabels, nonEmptyStrings, stringMap } from './selectors.js';

const RESOLUTIONS: readonly Resolution[] = ['STATIC', 'DNS', 'DNS_ROUND_ROBIN', 'NONE', 'DYNAMIC_DNS'];
/** The protocols a DYNAMIC_DNS port may have (Envoy's dynamic forward proxy: the HTTP filter, or SNI for TLS). */
const DYNAMIC_DNS_PROTOCOLS: ReadonlySet<string> = new Set(['HTTP', 'TLS', 'GRPC', 'HTTP2']);
const ns = (o: KubeObject): string => asString(o.metadata.namespace) || 'default';
const isIstio = (o: KubeObject, kind: string): boolean => o.kind === kind && o.apiVersion.startsWith('networking.istio.io/') && !!asString(o.metadata.name);

/** A WorkloadEntry (inline or standalone) as the registry reads it. */
export interface WorkloadEntryInfo {
  name?: string;
  namespace: string;
  address: string;
  ports: Record<string, number>;
  labels: Record<string, string>;
  locality: string;
  weight: number;
  serviceAccount?: string;
}

function readWorkloadEntry(spec: unknown, namespace: string, name?: string): WorkloadEntryInfo | undefined {
  const s = asObject(spec);
  const address = asString(s.address);
  if (!address) return undefined;
  const ports: Record<string, number> = {};
  for (const [k, v] of Object.entries(asObject(s.ports))) {
    const p = asPort(v);
    if (p) ports[k] = p;
  }
  const weight = typeof s.weight === 'number' && Number.isInteger(s.weight) && s.weight > 0 ? s.weight : 1;
  return { name, namespace, address, ports, labels: stringMap(s.labels), locality: asString(s.locality) ?? '', weight, serviceAccount: asString(s.serviceAccount) };
}

/** Standalone WorkloadEntry objects. */
export function workloadEntries(objects: readonly KubeObject[]): WorkloadEntryInfo[] {
  const out: WorkloadEntryInfo[] = [];
  for (const o of objects) {
    if (!isIstio(o, 'WorkloadEntry')) continue;
    const we = readWorkloadEntry(o.spec, ns(o), o.metadata.name);
    if (we) out.push(we);
  }
  return out;
}

export function workloadEntryWorkloads(wes: readonly WorkloadEntryInfo[]): Workload[] {
  return wes.map((w) => ({ name: w.name ?? w.address, namespace: w.namespace, ip: w.address, labels: w.labels, serviceAccount: w.serviceAccount ?? 'default', kind: 'WorkloadEntry', ready: true }));
}

function sePorts(spec: Record<string, any>): ServicePort[] {
  const out: ServicePort[] = [];
  for (const raw of asArray(spec.ports)) {
    const p = asObject(raw);
    const port = asPort(p.number);
    if (!port) continue;
    const name = asString(p.name) ?? `port-${port}`;
    const explicit = parseProtocol(asString(p.protocol));
    out.push({ name, port, targetPort: asPort(p.targetPort) ?? port, protocol: explicit !== 'UNSUPPORTED' ? explicit : selectProtocol({ name, port }) });
  }
  return out;
}

function weEndpoint(we: WorkloadEntryInfo, sp: ServicePort, workload?: string): Endpoint {
  return {
    address: we.address,
    port: we.ports[sp.name] ?? sp.targetPort,
    servicePortName: sp.name,
    labels: we.labels,
    locality: we.locality,
    weight: we.weight,
    healthy: true,
    ...(we.serviceAccount ? { serviceAccount: we.serviceAccount } : {}),
    ...(workload ? { workload } : {}),
    tlsMode: we.labels[Labels.tlsMode] === 'istio' ? 'istio' : 'disabled',
  };
}

/**
 * The exportTo a ServiceEntry of a namespace is served with, from the one it says; undefined: it is visible nowhere
 * and left out (the mesh's serviceEntryVisibility: snapshot.ts).
 */
export type EntryScope = (namespace: string, exportTo: string[]) => string[] | undefined;

/**
 * Services and endpoints of every ServiceEntry, in the order given (the caller sorts: a host's definitions keep it); those
 * that `scope` hides are left out, so that they take no host from another definition.
 */
export function serviceEntryServices(
  entries: readonly KubeObject[],
  wes: readonly WorkloadEntryInfo[],
  pods: readonly PodInfo[],
  scope?: EntryScope,
): Array<{ service: Service; endpoints: Endpoint[] }> {
  const out: Array<{ service: Service; endpoints: Endpoint[] }> = [];
  for (const o of entries) {
    if (!isIstio(o, 'ServiceEntry')) continue;
    const spec = asObject(o.spec);
    const namespace = ns(o);
    const written = asArray(spec.exportTo).filter((x): x is string => typeof x === 'string');
    const exportTo = scope ? scope(namespace, written) : written;
    if (!exportTo) continue;
    const ports = sePorts(spec);
    const resolution: Resolution = RESOLUTIONS.includes(spec.resolution) ? spec.resolution : 'NONE';
    const addresses = asArray(spec.addresses).filter((x): x is string => typeof x === 'string');
    const selector = spec.workloadSelector ? stringMap(asObject(spec.workloadSelector).labels) : undefined;
    const subjectAltNames = nonEmptyStrings(spec.subjectAltNames);
    const distribution = trafficDistributionOf(undefined, asString(asObject(o.metadata.annotations)[TRAFFIC_DISTRIBUTION]));
    const inline = asArray(spec.endpoints)
      .map((e) => readWorkloadEntry(e, namespace))
      .filter((e): e is WorkloadEntryInfo => !!e);
    for (const host of asArray(spec.hosts)) {
      if (typeof host !== 'string' || host === '') continue;
      const dynamic = resolution === 'DYNAMIC_DNS' && host.startsWith('*.');
      const service: Service = {
        hostname: host,
        name: o.metadata.name!,
        namespace,
        ports: dynamic ? ports.filter((p) => DYNAMIC_DNS_PROTOCOLS.has(p.protocol)) : ports,
        // The destination is whatever the name resolves to: no address of its own to listen on (validation refuses them).
        addresses: dynamic ? [] : addresses,
        resolution: resolution === 'DYNAMIC_DNS' && !dynamic ? 'NONE' : resolution,
        meshExternal: spec.location !== 'MESH_INTERNAL',
        labels: stringMap(o.metadata.labels),
        ...(selector && !dynamic ? { selector } : {}),
        exportTo,
        source: 'serviceentry',
        ...(subjectAltNames.length > 0 ? { subjectAltNames } : {}),
        ...withDistribution(distribution),
      };
      const endpoints: Endpoint[] = [];
      if (dynamic) {
        // The proxy finds the destination itself: no endpoints, and no workloads it selects (inline endpoints are
        // refused by validation).
      } else if (selector) {
        for (const we of wes) {
          if (we.namespace === namespace && matchesLabels(we.labels, selector)) for (const sp of ports) endpoints.push(weEndpoint(we, sp, `${we.namespace}/${we.name}`));
        }
        for (const pod of pods) {
          if (pod.namespace !== namespace || !matchesLabels(pod.labels, selector)) continue;
          for (const sp of ports) {
            const we: WorkloadEntryInfo = { namespace, address: pod.ip, ports: {}, labels: pod.labels, locality: pod.locality, weight: 1, serviceAccount: pod.serviceAccount };
            endpoints.push({ ...weEndpoint(we, sp, `${namespace}/${pod.name}`), healthy: pod.ready, tlsMode: pod.tlsMode });
          }
        }
      } else if (inline.length > 0) {
        for (const we of inline) for (const sp of ports) endpoints.push(weEndpoint(we, sp));
      } else if (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') {
        if (!host.startsWith('*')) for (const sp of ports) endpoints.push(weEndpoint({ namespace, address: host, ports: {}, labels: {}, locality: '', weight: 1 }, sp));
      }
      out.push({ service, endpoints });
    }
  }
  return out;
}
