/**
 * What the mesh does with one workload, from the same lookups the xDS generators make (so the answer is what the
 * proxies are sent, not a second reading of the rules): the Services that select it and, for each, the mTLS mode its
 * sidecar accepts on each port, the DestinationRule clients of its namespace use (which subsets take this pod), the
 * VirtualService they route by (which rules reach this pod), and the gateways that expose it; then its Sidecar
 * resource, the AuthorizationPolicies in force on it, and whether it has (or would get) a sidecar. Like
 * `istioctl x describe pod`, over resources given offline. Pure.
 */
import type { KubeObject } from '../core/kube.js';
import { POD_TEMPLATE_PATHS } from '../core/kube.js';
import type { Config, Service, Snapshot } from '../model/types.js';
import type { MeshConfig } from '../config/mesh.js';
import { type Result, ok, fail } from '../core/result.js';
import { isObject } from '../core/object.js';
import { asArray, asObject, matchesLabels, stringMap } from '../model/selectors.js';
import { destinationRuleFor, inboundServices, resolveHost } from '../xds/gen/context.js';
import { effectivePolicy, subsetsOf } from '../xds/gen/policy.js';
import { meshVirtualServices, virtualServiceFor } from '../xds/gen/routes.js';
import { routableVirtualServices } from '../xds/gen/delegation.js';
import { mtlsMode, mtlsPolicies, type MtlsMode } from '../xds/gen/peer-auth.js';
import { policiesFor } from '../xds/gen/authz.js';
import { sidecarFor } from '../xds/gen/sidecar-scope.js';
import { rootNamespacesOf } from '../model/root-namespaces.js';
import { parseNode, type Proxy } from '../model/proxy.js';
import { decideInjection, hasSidecar } from '../inject/policy.js';
import { injectionSelection, selectionText } from '../inject/selection.js';
import { summarizeMatch } from './match.js';

/** The workload described: a Pod, or a controller's pod template. */
export interface Target {
  kind: string;
  name: string;
  namespace: string;
  /** The Pod, or the template as a Pod (its metadata and spec). */
  pod: KubeObject;
}

export interface PortDescription {
  name: string;
  port: number;
  targetPort: number;
  protocol: string;
  /** What the sidecar accepts on the workload port (PeerAuthentication). */
  mtls: MtlsMode;
}

export interface ServiceDescription {
  host: string;
  ports: PortDescription[];
  destinationRule?: { name: string; matchingSubsets: string[]; otherSubsets: string[]; tlsModes: string[]; loadBalancer?: string };
  virtualService?: { name: string; http: RouteDescription[]; tcpRules: number; tlsRules: number; reachesPod: boolean };
}

export interface RouteDescription {
  rule: string;
  match: string;
  /** Each destination: `host[ subset] weight%`, and whether this pod is among its endpoints. */
  destinations: Array<{ to: string; weight: number; thisPod: boolean }>;
}

export interface PodDescription {
  /** e.g. `Pod default/reviews-v1-abc` or `Deployment default/reviews-v1 (its pod template)`. */
  target: string;
  labels: Record<string, string>;
  sidecar: string;
  services: ServiceDescription[];
  sidecarResource?: string;
  /** The PeerAuthentications that decide its ports' mTLS modes, `namespace/name (level)`, the mesh's first. */
  peerAuthentications: string[];
  authorizationPolicies: string[];
  exposedBy: Array<{ gateways: string[]; virtualService: string; hosts: string[]; routes: string[] }>;
  notes: string[];
}

/**
 * The Pod named `ref` (`name` or `name.namespace`), else the controller (Deployment, StatefulSet, …) of that name,
 * whose pod template is described. A name found in several namespaces must say which.
 */
export function findTarget(objects: readonly KubeObject[], ref: string): Result<Target> {
  const candidates = (name: string, ns: string | undefined): Target[] => {
    const found: Target[] = [];
    for (const o of objects) {
      if (o.metadata?.name !== name || (ns !== undefined && (o.metadata.namespace || 'default') !== ns)) continue;
      const namespace = o.metadata.namespace || 'default';
      if (o.kind === 'Pod') found.push({ kind: 'Pod', name, namespace, pod: o });
      else if (POD_TEMPLATE_PATHS[o.kind]) {
        let template: unknown = o;
        for (const p of POD_TEMPLATE_PATHS[o.kind]!) template = isObject(template) ? template[p] : undefined;
        if (!isObject(template)) continue;
        const metadata = { ...asObject(template.metadata), namespace };
        found.push({ kind: o.kind, name, namespace, pod: { apiVersion: 'v1', kind: 'Pod', metadata, spec: asObject(template.spec) } as KubeObject });
      }
    }
    // A Pod before a controller of the same name.
    return found.sort((a, b) => Number(b.kind === 'Pod') - Number(a.kind === 'Pod'));
  };
  let found = candidates(ref, undefined);
  const dot = ref.lastIndexOf('.');
  if (found.length === 0 && dot > 0) found = candidates(ref.slice(0, dot), ref.slice(dot + 1));
  if (found.length === 0) return fail(`no Pod or workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) named ${ref} in the input`);
  const places = [...new Set(found.map((t) => t.namespace))];
  if (places.length > 1) return fail(`${ref} is in several namespaces (${places.join(', ')}): say which, as name.namespace`);
  return ok(found[0]!);
}

/** The description of `target` in `snap` (built from the same input), for a control plane running with `mesh`. */
export function describePod(snap: Snapshot, target: Target, mesh: MeshConfig, namespaceLabels: (ns: string) => Record<string, string> | undefined): PodDescription {
  const { namespace } = target;
  const labels = stringMap(target.pod.metadata?.labels);
  const proxy = proxyOf(target, labels);
  const notes: string[] = [];
  if (Object.keys(labels).length === 0) notes.push('the workload has no labels: no Service, policy or subset can select it');
  const selecting = inboundServices(snap, proxy, labels);
  const services = selecting.map((svc) => describeService(snap, svc, namespace, labels));
  if (services.length === 0 && Object.keys(labels).length > 0) notes.push(`no Service in ${namespace} selects it: it serves no mesh traffic by name`);
  const roots = rootNamespacesOf(snap.mesh);
  const sidecar = sidecarFor(snap.sidecars, namespace, labels, roots);
  return {
    target: target.kind === 'Pod' ? `Pod ${namespace}/${target.name}` : `${target.kind} ${namespace}/${target.name} (its pod template)`,
    labels,
    sidecar: sidecarState(target.pod, namespace, mesh, namespaceLabels(namespace)),
    services,
    ...(sidecar ? { sidecarResource: `${sidecar.namespace}/${sidecar.name}` } : {}),
    peerAuthentications: mtlsPolicies(snap, namespace, labels),
    authorizationPolicies: policiesFor(snap.authorizationPolicies, namespace, labels, roots).map((p) => `${typeof p.spec?.action === 'string' ? p.spec.action : 'ALLOW'} ${p.namespace}/${p.name}`),
    exposedBy: exposures(snap, selecting),
    notes,
  };
}

/** A node for the workload, so that the generators' lookups see its namespace and labels. */
function proxyOf(target: Target, labels: Record<string, string>): Proxy {
  const ip = typeof asObject(target.pod.status).podIP === 'string' ? String(asObject(target.pod.status).podIP) : '0.0.0.0';
  const r = parseNode({ id: `sidecar~${ip}~${target.name}.${target.namespace}~${target.namespace}.svc.cluster.local`, metadata: { NAMESPACE: target.namespace, LABELS: labels } });
  if (!r.ok) throw new Error(`describe: ${r.errors.join('; ')}`);
  return r.value;
}

function describeService(snap: Snapshot, svc: Service, namespace: string, labels: Record<string, string>): ServiceDescription {
  const ports = svc.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: p.protocol, mtls: mtlsMode(snap, namespace, labels, p.targetPort) }));
  const out: ServiceDescription = { host: svc.hostname, ports };
  const dr = destinationRuleFor(snap, namespace, svc);
  const matching = new Set<string>();
  if (dr) {
    const subsets = subsetsOf(dr);
    for (const s of subsets) if (matchesLabels(labels, s.labels)) matching.add(s.name);
    const policies = svc.ports.map((p) => effectivePolicy(dr, p.port));
    const tlsModes = [...new Set(policies.map((p) => asObject(p.tls).mode).filter((m): m is string => typeof m === 'string'))];
    const simple = asObject(policies[0]?.loadBalancer).simple;
    out.destinationRule = {
      name: `${dr.namespace}/${dr.name}`,
      matchingSubsets: subsets.filter((s) => matching.has(s.name)).map((s) => s.name),
      otherSubsets: subsets.filter((s) => !matching.has(s.name)).map((s) => s.name),
      tlsModes,
      ...(typeof simple === 'string' ? { loadBalancer: simple } : {}),
    };
  }
  const vs = virtualServiceFor(snap, meshVirtualServices(snap, namespace), svc.hostname);
  if (vs) {
    const http = asArray(vs.spec?.http).map((raw, i) => describeRule(snap, vs, asObject(raw), i, svc, matching, dr !== undefined));
    out.virtualService = {
      name: `${vs.namespace}/${vs.name}`,
      http,
      tcpRules: asArray(vs.spec?.tcp).length,
      tlsRules: asArray(vs.spec?.tls).length,
      reachesPod: http.some((r) => r.destinations.some((d) => d.thisPod)),
    };
  }
  return out;
}

/** One HTTP rule: its matches, and where it sends requests (marking the destinations this pod serves). */
function describeRule(snap: Snapshot, vs: Config, rule: Record<string, any>, index: number, svc: Service, matching: ReadonlySet<string>, hasRule: boolean): RouteDescription {
  const routes = asArray(rule.route).map(asObject);
  const destinations = routes.map((r) => {
    const d = asObject(r.destination);
    const host = typeof d.host === 'string' ? resolveHost(d.host, vs.namespace, snap.domainSuffix) : '';
    const subset = typeof d.subset === 'string' && d.subset !== '' ? d.subset : undefined;
    // A subset names pods by labels: this pod is in it when the subset matched; no subset is every pod.
    const thisPod = host === svc.hostname && (subset === undefined || (hasRule && matching.has(subset)));
    const weight = typeof r.weight === 'number' ? r.weight : routes.length === 1 ? 100 : 0;
    return { to: `${host}${subset ? ` subset ${subset}` : ''}`, weight, thisPod };
  });
  const what = rule.redirect ? 'redirect' : rule.directResponse ? 'direct response' : rule.delegate ? 'delegate' : undefined;
  return {
    rule: typeof rule.name === 'string' && rule.name ? rule.name : `#${index}`,
    match: summarizeMatch(asArray(rule.match)) + (what ? ` (${what})` : ''),
    destinations,
  };
}

/** Gateways whose VirtualServices route to one of these services, with the hosts and the rules that do. */
function exposures(snap: Snapshot, services: readonly Service[]): PodDescription['exposedBy'] {
  const hosts = new Set(services.map((s) => s.hostname));
  const out: PodDescription['exposedBy'] = [];
  for (const vs of routableVirtualServices(snap)) {
    const gateways = asArray(vs.spec?.gateways).filter((g): g is string => typeof g === 'string' && g !== 'mesh');
    if (gateways.length === 0) continue;
    const routes: string[] = [];
    asArray(vs.spec?.http).forEach((raw, i) => {
      const rule = asObject(raw);
      const reaches = asArray(rule.route).some((r) => {
        const d = asObject(asObject(r).destination);
        return typeof d.host === 'string' && hosts.has(resolveHost(d.host, vs.namespace, snap.domainSuffix));
      });
      if (reaches) routes.push(`${typeof rule.name === 'string' && rule.name ? rule.name : `#${i}`}: ${summarizeMatch(asArray(rule.match))}`);
    });
    if (routes.length === 0) continue;
    out.push({
      gateways: gateways.map((g) => (g.includes('/') ? g : `${vs.namespace}/${g}`)),
      virtualService: `${vs.namespace}/${vs.name}`,
      hosts: asArray(vs.spec?.hosts).filter((h): h is string => typeof h === 'string'),
      routes,
    });
  }
  return out;
}

/** Whether the pod has a sidecar, or would get one from the webhook, and why not. */
function sidecarState(pod: KubeObject, namespace: string, mesh: MeshConfig, nsLabels: Record<string, string> | undefined): string {
  if (hasSidecar(pod)) return 'injected (istio-proxy)';
  const decision = decideInjection(pod, { namespace, mesh });
  if (!decision.inject) return `none: ${decision.message}`;
  if (nsLabels === undefined) return `none yet: the Namespace ${namespace} is not in the input, so whether the webhook sees this pod is not known`;
  const selection = injectionSelection(nsLabels, stringMap(pod.metadata?.labels), mesh.revision);
  if (selection === undefined) return `none: neither the namespace ${namespace} nor the pod asks for injection (label the namespace istio-injection=enabled)`;
  return `none yet: the webhook injects it at creation (${selectionText(selection, namespace, mesh.revision)})`;
}
