/**
 * The status mizzen owes the Gateway API objects it serves, as Istio's controllers write it, so that
 * `kubectl wait --for=condition=programmed gateway/…` and the tools that read route status work. Pure: from the
 * objects as the API server has them (their current status, for the times of conditions that did not change and
 * for other controllers' route parents) and the snapshot, the status writes that differ from what is there.
 *
 * - GatewayClass `istio` whose controllerName is GATEWAY_CONTROLLER: Accepted.
 * - Gateway of class istio: Accepted (False, InvalidParameters, when its customization cannot be used: the
 *   parametersRef names no usable ConfigMap, or the overlays are malformed; the Gateway API's reason); Programmed when some workload the snapshot knows would serve it (else
 *   NoResources) and none of its Services is a LoadBalancer still waiting for an address (else
 *   AddressNotAssigned); its addresses (of the Service it names, else of the Services of its namespace that select
 *   its workloads): as Istio, those from outside the cluster (load balancer, externalIPs) when there are any,
 *   else the Services' hostnames (cluster IPs with the annotation networking.istio.io/address-type: IPAddress);
 *   per listener: supported kinds, attached routes, Accepted / Programmed / ResolvedRefs
 *   (UnsupportedProtocol, InvalidCertificateRef, RefNotPermitted for the listeners mizzen leaves out).
 * - HTTPRoute / GRPCRoute: one parent entry per parentRef mizzen serves (a Service: MESH_CONTROLLER; a Gateway of
 *   class istio: GATEWAY_CONTROLLER) with Accepted (or the reason it attaches nowhere) and ResolvedRefs (or why a
 *   backend cannot be used). Other controllers' entries are kept as they are.
 * - ListenerSet whose parent is a Gateway of class istio: gateway-api-listenerset-status.ts; the parent counts the
 *   ListenerSets that add a served listener to it (attachedListenerSets), and routes may name a ListenerSet as parent.
 * - BackendTLSPolicy: one ancestor per targetRef (MESH_CONTROLLER), gateway-api-backendtls-status.ts.
 * - XBackendTrafficPolicy (gateway.networking.x-k8s.io): likewise, gateway-api-backendtraffic-status.ts.
 */
import { isDeepStrictEqual } from 'node:util';
import { isIP } from 'node:net';
import type { KubeObject } from '../core/kube.js';
import type { Config, Service, Snapshot } from './types.js';
import { asArray, asObject, asString, matchesLabels } from './selectors.js';
import { GATEWAY_API_GROUP, GATEWAY_ROUTE_KINDS, backendRef, grantObjects, isGatewayApi, isGatewayApiX, parentRef } from './gateway-refs.js';
import { type RouteWorld, backendUse, parentHosts, parentRefPort } from './gateway-api.js';
import { type Condition, GATEWAY_CONTROLLER, MESH_CONTROLLER, conditions, generationOf, no, ok } from './gateway-status-conditions.js';
import { backendTlsPolicyStatuses } from './gateway-api-backendtls-status.js';
import { backendTrafficPolicyStatuses } from './gateway-api-backendtraffic-status.js';
import { GATEWAY_CLASS, type GatewayLike, type Listener, attachment, defaultRouteKinds, gatewaySelector, servedListeners, terminatedTls } from './gateway-api-gateways.js';
import { LISTENER_SET_KIND, type ListenerSetOutcome, listenerSetOutcomes } from './gateway-api-listenerset.js';
import { listenerSetStatus } from './gateway-api-listenerset-status.js';

type Json = Record<string, any>;

export { GATEWAY_CONTROLLER, MESH_CONTROLLER };

/** Gateway annotation: the kind of in-cluster address its status reports (Hostname, the default, or IPAddress). */
export const ADDRESS_TYPE = 'networking.istio.io/address-type';

/**
 * One status to write: the object (kind in the Gateway API group, or its experimental one for XBackendTrafficPolicy), its status, the resourceVersion it was computed
 * from, and the keys its status has that the new one lacks (a merge patch removes them by null).
 */
export interface StatusWrite {
  kind: 'GatewayClass' | 'Gateway' | 'HTTPRoute' | 'GRPCRoute' | 'TLSRoute' | 'TCPRoute' | 'BackendTLSPolicy' | 'XBackendTrafficPolicy' | 'ListenerSet';
  namespace?: string;
  name: string;
  resourceVersion?: string;
  status: Json;
  removed: string[];
}

const config = (o: KubeObject): Config => ({
  kind: o.kind,
  apiVersion: o.apiVersion,
  name: o.metadata.name ?? '',
  namespace: o.metadata.namespace || 'default',
  labels: {},
  annotations: {},
  spec: asObject(o.spec),
  revision: 0,
  ...(typeof o.metadata.creationTimestamp === 'string' ? { creationTimestamp: o.metadata.creationTimestamp } : {}),
});

/** Why a listener mizzen leaves out is not served, as listener conditions (of a Gateway, or of a ListenerSet: `gw.kind`). */
function unservedListener(raw: Json, gw: GatewayLike, grants: RouteWorld['grants']): Condition[] {
  if (!['HTTP', 'HTTPS', 'TLS', 'TCP'].includes(raw.protocol)) {
    const m = `protocol ${String(raw.protocol)} is not supported: mizzen serves HTTP, HTTPS, TLS and TCP listeners`;
    return [no('Accepted', 'UnsupportedProtocol', m), no('Programmed', 'Invalid', m), ok('ResolvedRefs')];
  }
  const cert = terminatedTls(gw, asObject(raw.tls), grants);
  if ('problem' in cert && cert.problem === 'RefNotPermitted') {
    const m = `the certificate Secret is in another namespace, and no ReferenceGrant there lets ${gw.kind === LISTENER_SET_KIND ? 'ListenerSets' : 'Gateways'} of this namespace use it`;
    return [ok('Accepted'), no('Programmed', 'Invalid', m), no('ResolvedRefs', 'RefNotPermitted', m)];
  }
  const m = ('problem' in cert && cert.message) || 'mizzen terminates TLS with Secrets (tls.certificateRefs), or passes it through (tls.mode Passthrough)';
  return [ok('Accepted'), no('Programmed', 'Invalid', m), no('ResolvedRefs', 'InvalidCertificateRef', m)];
}

/** A Gateway of class istio as the status reads it: the object, as a Config, and the listeners mizzen serves. */
interface ServedGateway {
  obj: KubeObject;
  g: Config;
  served: Listener[];
}

/**
 * The status of a Gateway of class istio. `attached`: routes attached per listener name; `deployed`: mizzen
 * deploys its gateway (serve --deploy-gateways), which the NoResources message then says instead.
 */
function gatewayStatus({ obj: gw, g, served: listenersServed }: ServedGateway, snap: Snapshot, grants: RouteWorld['grants'], attached: ReadonlyMap<string, number>, now: string, deployed: boolean, invalidParameters: string | undefined, listenerSets: number): Json {
  const { service } = gatewaySelector(g, snap);
  const workloads = servingWorkloads(g, snap);
  const services = service ? [service] : [...snap.services.values()].filter((s) => s.source === 'kubernetes' && s.namespace === g.namespace && s.selector && Object.keys(s.selector).length > 0 && workloads.some((w) => matchesLabels(w.labels, s.selector)));
  const external = [...new Set(services.flatMap((s) => s.externalAddresses ?? []))];
  const pending = services.filter((s) => s.loadBalancerPending);
  const programmed = workloads.length > 0;
  const before = asObject(gw.status);
  const generation = generationOf(gw);
  const served = new Map(listenersServed.map((l) => [l.name, l] as const));
  const listeners = asArray(asObject(gw.spec).listeners)
    .map(asObject)
    .filter((l) => typeof l.name === 'string')
    .map((l) => {
      const s: Listener | undefined = served.get(l.name);
      const prev = asArray(before.listeners).map(asObject).find((x) => x.name === l.name);
      const kinds = s ? supportedKinds(s) : [];
      const conds = s ? [ok('Accepted'), programmed ? ok('Programmed') : no('Programmed', 'Pending', 'no gateway workload serves it yet'), ok('ResolvedRefs')] : unservedListener(l, g, grants);
      return { name: l.name, supportedKinds: kinds, attachedRoutes: s ? (attached.get(l.name) ?? 0) : 0, conditions: conditions(conds, generation, prev?.conditions, now) };
    });
  const gwConds = [
    invalidParameters ? no('Accepted', 'InvalidParameters', `the gateway's customization cannot be used, so nothing of its deployment changes: ${invalidParameters}`) : ok('Accepted'),
    programmed && pending.length > 0
      ? no('Programmed', 'AddressNotAssigned', addressPending(pending, deployed))
      : programmed
      ? ok('Programmed')
      : no(
          'Programmed',
          'NoResources',
          `no workload ${service ? `of Service ${service.namespace}/${service.name}` : `labelled gateway.networking.k8s.io/gateway-name=${g.name}`} runs: ${deployed ? 'the gateway mizzen deploys for it has no running pod yet' : 'mizzen deploys no gateway without serve --deploy-gateways, it configures the ones that run'}`,
        ),
  ];
  // As Istio: the addresses from outside the cluster when there are any, else the Services' own hostnames, or their
  // cluster IPs when the Gateway's ADDRESS_TYPE annotation asks for IPAddress.
  const internalIps = asObject(gw.metadata.annotations)[ADDRESS_TYPE] === 'IPAddress';
  const addresses =
    external.length > 0
      ? external.map((a) => ({ type: isIP(a) ? 'IPAddress' : 'Hostname', value: a }))
      : internalIps
        ? [...new Set(services.flatMap((s) => s.addresses))].map((value) => ({ type: 'IPAddress', value }))
        : services.map((s) => ({ type: 'Hostname', value: s.hostname }));
  return {
    ...(addresses.length ? { addresses } : {}),
    // As Istio: the ListenerSets that add a served listener, when there are any.
    ...(listenerSets > 0 ? { attachedListenerSets: listenerSets } : {}),
    conditions: conditions(gwConds, generation, before.conditions, now),
    listeners,
  };
}

/** The workloads the snapshot knows that serve a Gateway. */
const servingWorkloads = (g: Config, snap: Snapshot) => {
  const { selector } = gatewaySelector(g, snap);
  return snap.workloads.filter((w) => matchesLabels(w.labels, selector));
};

/** Why a Gateway whose LoadBalancer Services have no address yet is not programmed, and what to do on a cluster without load balancers. */
function addressPending(pending: readonly Service[], deployed: boolean): string {
  const which = pending.map((s) => `${s.namespace}/${s.name}`).join(', ');
  const hint = deployed ? 'annotate the Gateway networking.istio.io/service-type: ClusterIP' : 'give the Service another type';
  return `address pending for Service ${which} (type LoadBalancer): no load balancer has given it an address yet; on a cluster without one, ${hint}`;
}

/** The route kinds a served listener takes: those of its allowedRoutes kinds its protocol carries, else the protocol's. */
function supportedKinds(l: Listener): Json[] {
  const carried = defaultRouteKinds(l);
  const asked = asArray(l.allowed.kinds).map(asObject).filter((k) => (asString(k.group) ?? GATEWAY_API_GROUP) === GATEWAY_API_GROUP && carried.includes(k.kind));
  const kinds = asArray(l.allowed.kinds).length > 0 ? asked.map((k) => k.kind as string) : carried;
  return [...new Set(kinds)].map((kind) => ({ group: GATEWAY_API_GROUP, kind }));
}

/** ResolvedRefs of a route: the first backend (or mirror) mizzen cannot use, with why (backendUse, as the conversion reads it). */
function resolvedRefs(route: Config, w: RouteWorld): Condition {
  for (const rule of asArray(route.spec.rules).map(asObject)) {
    const mirrors = asArray(rule.filters).map(asObject).filter((f) => f.type === 'RequestMirror').map((f) => asObject(f.requestMirror).backendRef);
    for (const raw of [...asArray(rule.backendRefs), ...mirrors]) {
      const ref = backendRef(raw, route.namespace);
      if (!ref) continue;
      const use = backendUse(w, route, ref);
      if (!('problem' in use)) continue;
      const id = `${ref.namespace}/${ref.name}`;
      const message = {
        InvalidKind: `backend ${ref.kind} ${id}: mizzen routes to Services and Istio Hostnames (without a namespace)`,
        RefNotPermitted: `backend ${ref.kind} ${id}: no ReferenceGrant in ${ref.namespace} allows it`,
        BackendNotFound: `backend ${use.host}${ref.port !== undefined ? ` port ${ref.port}` : ' (no port)'} not found`,
      }[use.problem];
      return no('ResolvedRefs', use.problem, message);
    }
  }
  return ok('ResolvedRefs');
}

const REASON_TEXT: Record<string, string> = {
  NoMatchingParent: 'no listener mizzen serves matches its sectionName or port',
  NotAllowedByListeners: "no listener's allowedRoutes admits it",
  NoMatchingListenerHostname: "none of its hostnames overlaps a listener's",
};

/**
 * The status writes for `objects` (the Gateway API objects the API server has, with their status) that differ from
 * theirs. `deployed`: the Gateways whose gateway mizzen deploys (none unless serve --deploy-gateways);
 * `invalidParameters`: why a Gateway's customization cannot be used (undefined: it can, or it has none).
 */
export function gatewayApiStatuses(objects: readonly KubeObject[], snap: Snapshot, now: string, deployed: (gw: KubeObject) => boolean = () => false, invalidParameters: (gw: KubeObject) => string | undefined = () => undefined): StatusWrite[] {
  const api = objects.filter(isGatewayApi);
  const w: RouteWorld = { domainSuffix: snap.domainSuffix, services: snap.services, grants: grantObjects(snap.referenceGrants), serviceEntries: snap.serviceEntries };
  const gateways = new Map<string, ServedGateway>();
  for (const obj of api.filter((o) => o.kind === 'Gateway' && asObject(o.spec).gatewayClassName === GATEWAY_CLASS)) {
    const g = config(obj);
    gateways.set(`${g.namespace}/${g.name}`, { obj, g, served: servedListeners(g, w.grants) });
  }
  const attached = new Map<string, Map<string, number>>();
  // ListenerSets of the Gateways of class istio, by `ns/name`, with the objects they were read from.
  const setObjects = new Map(api.filter((o) => o.kind === LISTENER_SET_KIND).map((o) => [config(o), o] as const));
  const sets = new Map<string, ListenerSetOutcome>();
  for (const o of listenerSetOutcomes([...gateways.values()].map((x) => x.g), [...setObjects.keys()], { grants: w.grants, namespaces: snap.namespaces })) sets.set(`${o.ls.namespace}/${o.ls.name}`, o);
  const setAttached = new Map<string, Map<string, number>>();
  const count = (m: Map<string, Map<string, number>>, key: string, listeners: ReadonlyArray<{ listener: Listener }>): void => {
    const counts = m.get(key) ?? new Map<string, number>();
    for (const { listener } of listeners) counts.set(listener.name, (counts.get(listener.name) ?? 0) + 1);
    m.set(key, counts);
  };
  const out: StatusWrite[] = [];
  const write = (o: KubeObject, status: Json): void => {
    const current = asObject(o.status);
    if (isDeepStrictEqual(status, current)) return;
    const kind = o.kind as StatusWrite['kind'];
    const removed = Object.keys(current).filter((k) => !(k in status));
    out.push({ kind, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), name: o.metadata.name ?? '', ...(o.metadata.resourceVersion ? { resourceVersion: o.metadata.resourceVersion } : {}), status, removed });
  };
  const nsLabels = (ns: string): Record<string, string> | undefined => snap.namespaces.get(ns);

  for (const route of api.filter((o) => GATEWAY_ROUTE_KINDS.includes(o.kind))) {
    const r = config(route);
    const generation = generationOf(route);
    const refs = asArray(r.spec.parentRefs);
    const before = asArray(asObject(route.status).parents).map(asObject);
    const ours: Json[] = [];
    const resolved = resolvedRefs(r, w);
    refs.forEach((raw) => {
      const ref = parentRef(raw, r.namespace);
      if (!ref) return;
      let accepted: Condition;
      let controller: string;
      if (ref.service || ref.serviceEntry) {
        controller = MESH_CONTROLLER;
        const what = `${ref.service ? 'Service' : 'ServiceEntry'} ${ref.namespace}/${ref.name}`;
        const hosts = parentHosts(w, ref).filter((h) => snap.services.has(h));
        if (hosts.length === 0) accepted = no('Accepted', 'NoMatchingParent', `${what} not found`);
        else if (hosts.every((h) => parentRefPort(snap.services, h, ref) === null)) accepted = no('Accepted', 'NoMatchingParent', `${what} has no port ${ref.sectionName ? `named ${ref.sectionName}` : String(ref.port)}`);
        else accepted = ok('Accepted');
      } else if (ref.group === GATEWAY_API_GROUP && ref.kind === LISTENER_SET_KIND) {
        const set = sets.get(`${ref.namespace}/${ref.name}`);
        if (!set?.allowed) return; // not a parent mizzen answers for
        controller = GATEWAY_CONTROLLER;
        const a = attachment({ ...set.ls, kind: LISTENER_SET_KIND }, set.served, r, ref, nsLabels);
        if ('listeners' in a) {
          accepted = ok('Accepted');
          count(setAttached, `${ref.namespace}/${ref.name}`, a.listeners);
        } else accepted = no('Accepted', a.reason, REASON_TEXT[a.reason]!);
      } else {
        const gw = ref.group === GATEWAY_API_GROUP && ref.kind === 'Gateway' ? gateways.get(`${ref.namespace}/${ref.name}`) : undefined;
        if (!gw) return; // not a parent mizzen answers for
        controller = GATEWAY_CONTROLLER;
        const { g } = gw;
        const a = attachment(g, gw.served, r, ref, nsLabels);
        if ('listeners' in a) {
          accepted = ok('Accepted');
          count(attached, `${g.namespace}/${g.name}`, a.listeners);
        } else accepted = no('Accepted', a.reason, REASON_TEXT[a.reason]!);
      }
      const prev = before.find((p) => p.controllerName === controller && isDeepStrictEqual(p.parentRef, raw));
      ours.push({ parentRef: raw, controllerName: controller, conditions: conditions([accepted, resolved], generation, prev?.conditions, now) });
    });
    const others = before.filter((p) => p.controllerName !== GATEWAY_CONTROLLER && p.controllerName !== MESH_CONTROLLER);
    if (ours.length === 0 && others.length === before.length) continue; // nothing of ours, now or before
    write(route, { ...asObject(route.status), parents: [...others, ...ours] });
  }

  const setsOn = (key: string): number => [...sets.values()].filter((o) => `${o.parent.namespace}/${o.parent.name}` === key && o.served.length > 0).length;
  for (const [key, gw] of gateways) write(gw.obj, gatewayStatus(gw, snap, w.grants, attached.get(key) ?? new Map(), now, deployed(gw.obj), invalidParameters(gw.obj), setsOn(key)));
  for (const [ls, obj] of setObjects) {
    const o = sets.get(`${ls.namespace}/${ls.name}`);
    if (!o) continue; // no parent of class istio: not mizzen's to answer for
    const ctx = { parentRuns: servingWorkloads(o.parent, snap).length > 0, attached: setAttached.get(`${ls.namespace}/${ls.name}`) ?? new Map(), supportedKinds, unserved: (raw: Json, owner: Config) => unservedListener(raw, owner, w.grants), now };
    write(obj, listenerSetStatus(o, obj, ctx));
  }

  for (const cls of api.filter((o) => o.kind === 'GatewayClass' && o.metadata.name === GATEWAY_CLASS && asObject(o.spec).controllerName === GATEWAY_CONTROLLER)) {
    write(cls, { ...asObject(cls.status), conditions: conditions([ok('Accepted', 'Accepted', 'Handled by mizzen')], generationOf(cls), asObject(cls.status).conditions, now) });
  }
  for (const { obj, status } of backendTlsPolicyStatuses(api.filter((o) => o.kind === 'BackendTLSPolicy'), snap, now)) write(obj, status);
  for (const { obj, status } of backendTrafficPolicyStatuses(objects.filter((o) => isGatewayApiX(o) && o.kind === 'XBackendTrafficPolicy'), snap, now)) write(obj, status);
  return out;
}
