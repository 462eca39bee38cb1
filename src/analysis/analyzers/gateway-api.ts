/**
 * Gateway API routes (gateway.networking.k8s.io HTTPRoute, GRPCRoute, TLSRoute and TCPRoute: GATEWAY_ROUTE_KINDS),
 * attached to a Service ("GAMMA", mesh traffic) or to a Gateway API Gateway of class istio, checked the way mizzen
 * converts them (model/gateway-api.ts, model/gateway-api-gateways.ts), with the reading of refs they share
 * (model/gateway-refs.ts):
 * - parentRefs: a core Service parent the input lacks is IST0101 (MZ0003 when the input has no Services in that
 *   namespace); a Gateway parent is checked by gateway-api-gateways.ts (IST0101 / MZ0003 when missing, MZ0016
 *   when it attaches the route to no listener, with the reason); any other parent is MZ0016.
 * - backendRefs and RequestMirror backendRefs: only a core Service with a port, in the route's namespace or
 *   allowed by a ReferenceGrant, is routed to (MZ0017 otherwise: its share answers 500, its share of the
 *   connections fails on a TLSRoute or TCPRoute, a mirror gets nothing); a missing Service, or a port it does not
 *   expose, is IST0101 (MZ0003 as above). MZ0017 is not said of a backend that gets no traffic anyway (weight 0, a
 *   rule that redirects).
 * - filters of a type mizzen does not apply, or without a type (MZ0018): on a rule, the requests it matches
 *   answer 500; on a backendRef (which takes the header modifiers only), its share does. TLSRoutes and TCPRoutes
 *   take no filters (RULE_FILTERS): any is MZ0018; the conversion ignores a rule's, and a backendRef's header
 *   modifiers, while another filter on a backendRef fails its share of the connections.
 * A route is served when a parentRef attaches it somewhere: a Service parent (found or not), or a listener of a
 * Gateway; the rules of any other change nothing, so they are not checked. Malformed shapes give fewer findings,
 * never a throw.
 */
import type { KubeObject } from '../../core/kube.js';
import { BACKEND_FILTERS, GATEWAY_API_GROUP, GATEWAY_ROUTE_KINDS, RULE_FILTERS, backendRef, isGatewayRoute, parentRef, referenceAllowed, type BackendRef, type ParentRef } from '../../model/gateway-refs.js';
import { isL4Route } from '../../model/gateway-api.js';
import { finding, type Finding } from '../finding.js';
import { gatewayParent } from './gateway-api-gateways.js';
import { listenerSetParent } from './gateway-api-listenerset.js';
import { arr, rec, str, type Rec } from '../shape.js';
import { nameOf, nsOf, type HostEntry, type World } from '../world.js';

/** One parentRef with the path of its entry; entries parentRefs() leaves out (no name) are skipped. */
function parentsWithPaths(route: KubeObject): Array<{ path: string; ref: ParentRef }> {
  const out: Array<{ path: string; ref: ParentRef }> = [];
  for (const [k, raw] of arr(rec(route.spec).parentRefs).entries()) {
    const ref = parentRef(raw, nsOf(route));
    if (ref) out.push({ path: `spec.parentRefs[${k}]`, ref });
  }
  return out;
}

const qualified = (r: Pick<BackendRef, 'group' | 'kind'>): string => (r.group ? `${r.kind}.${r.group}` : r.kind);

/** The host of Service `namespace/name`, as World indexes Services. */
const serviceHost = (w: World, ref: { name: string; namespace: string }): string => `${ref.name.toLowerCase()}.${ref.namespace}.svc.${w.domainSuffix}`;

/**
 * What the conversion resolves a Service reference to: the Kubernetes Service of that host, else a ServiceEntry
 * with exactly that host (a wildcard ServiceEntry host does not count: the conversion looks hosts up exactly).
 */
function servicesOf(w: World, ref: { name: string; namespace: string }): HostEntry[] {
  const host = serviceHost(w, ref);
  const exact = w.lookupHost(host).filter((e) => e.host === host);
  const services = exact.filter((e) => e.kind === 'Service');
  return services.length > 0 ? services : exact;
}

/** IST0101 / MZ0003 for a Service `namespace/name` that the input lacks. */
function missingService(w: World, route: KubeObject, what: string, ref: { name: string; namespace: string }, path: string): Finding[] {
  if (servicesOf(w, ref).length > 0) return [];
  const id = `${ref.namespace}/${ref.name}`;
  if (!w.hasServicesIn(ref.namespace)) {
    return [finding('MZ0003', route, `Referenced ${what} not found: "${id}"; the input has no Services in namespace "${ref.namespace}" to check it against`, path)];
  }
  return [finding('IST0101', route, `Referenced ${what} not found: "${id}"`, path)];
}

/** The findings of a route's parentRefs, and whether any of them attaches the route somewhere (so it is served). */
/** The port a Service parentRef names (by number, or by name in sectionName) that its Service has not; undefined when it names none or one it has. */
function missingParentPort(w: World, ref: ParentRef): string | undefined {
  if (ref.port === undefined && !ref.sectionName) return undefined;
  const svc = servicesOf(w, ref).find((e) => e.kind === 'Service');
  if (!svc) return undefined;
  if (ref.port !== undefined) return svc.ports.includes(ref.port) ? undefined : String(ref.port);
  const names = arr(rec(svc.object.spec).ports).map((p) => str(rec(p).name));
  return names.includes(ref.sectionName) ? undefined : `named "${ref.sectionName}"`;
}

function checkParents(w: World, route: KubeObject, parents: ReadonlyArray<{ path: string; ref: ParentRef }>): { attached: boolean; findings: Finding[] } {
  const findings: Finding[] = [];
  let attached = false;
  for (const { path, ref } of parents) {
    if (ref.service) {
      const missing = missingService(w, route, 'parent Service', ref, `${path}.name`);
      findings.push(...missing);
      const unnamed = missing.length === 0 ? missingParentPort(w, ref) : undefined;
      if (unnamed) findings.push(finding('MZ0016', route, `parentRef Service "${ref.namespace}/${ref.name}" attaches the route nowhere: the Service has no port ${unnamed}`, path));
      else attached = true;
    } else if (ref.serviceEntry) {
      // Istio's ServiceEntries as parents: the route applies to their hosts.
      const found = w.istio('ServiceEntry').some((se) => nameOf(se) === ref.name && nsOf(se) === ref.namespace);
      const id = `${ref.namespace}/${ref.name}`;
      if (found) attached = true;
      else if (w.istio('ServiceEntry').some((se) => nsOf(se) === ref.namespace)) findings.push(finding('IST0101', route, `Referenced parent ServiceEntry not found: "${id}"`, `${path}.name`));
      else findings.push(finding('MZ0003', route, `Referenced parent ServiceEntry not found: "${id}"; the input has no ServiceEntries in namespace "${ref.namespace}" to check it against`, `${path}.name`));
    } else if (ref.group === GATEWAY_API_GROUP && ref.kind === 'Gateway') {
      const outcome = gatewayParent(w, route, ref, path);
      attached ||= outcome.attached;
      findings.push(...outcome.findings);
    } else if (ref.group === GATEWAY_API_GROUP && ref.kind === 'ListenerSet') {
      const outcome = listenerSetParent(w, route, ref, path);
      attached ||= outcome.attached;
      findings.push(...outcome.findings);
    } else {
      findings.push(finding('MZ0016', route, `parentRef ${qualified(ref)} "${ref.namespace}/${ref.name}" is not served: mizzen serves routes attached to core Services, Istio ServiceEntries, Gateway API Gateways (of class istio) and ListenerSets only`, path));
    }
  }
  return { attached, findings };
}

/** What befalls the share of a backend mizzen does not route to: HTTP routes answer 500, TLS and TCP connections fail. */
const shareFails = (route: KubeObject): string => (isL4Route(route.kind) ? 'its share of the connections fails' : 'its share of the traffic answers 500');

/** How a backendRef is used: a share of the rule's traffic, a share that is never sent (weight 0, a redirecting rule), or a mirror. */
type Use = 'share' | 'unused' | 'mirror';

/**
 * A backendRef at `path`: IST0101 / MZ0003 when its Service or port is missing; MZ0017 when mizzen does not route
 * to it (said only where that changes something: not for a backend that gets no traffic anyway).
 */
function checkBackend(w: World, route: KubeObject, raw: unknown, path: string, use: Use): Finding[] {
  const ref = backendRef(raw, nsOf(route));
  if (!ref) return []; // a nameless ref is the schema's business
  const what = use === 'mirror' ? 'mirror backend' : 'backendRef';
  const outcome = use === 'mirror' ? 'nothing is mirrored to it' : shareFails(route);
  if (ref.hostname) return hostnameBackend(w, route, ref, path, use, what, outcome);
  if (!ref.service) return use === 'unused' ? [] : [finding('MZ0017', route, `${what} ${qualified(ref)} "${ref.namespace}/${ref.name}" is not a core Service or an Istio Hostname without a namespace: ${outcome}`, path)];
  const reasons: string[] = [];
  if (ref.port === undefined) reasons.push('has no port');
  if (!referenceAllowed(w.core('ReferenceGrant'), route.kind, nsOf(route), ref)) {
    reasons.push(`is in namespace "${ref.namespace}", where no ReferenceGrant allows ${route.kind}s of namespace "${nsOf(route)}" to refer to it`);
  }
  const out = reasons.length > 0 && use !== 'unused' ? [finding('MZ0017', route, `${what} Service "${ref.namespace}/${ref.name}" ${reasons.join(' and ')}: ${outcome}`, path)] : [];
  const kind = `${use === 'mirror' ? 'mirror' : 'backend'} Service`;
  const missing = missingService(w, route, kind, ref, `${path}.name`);
  if (missing.length > 0 || ref.port === undefined) return [...out, ...missing];
  const port = ref.port;
  if (!servicesOf(w, ref).some((e) => e.ports.includes(port))) out.push(finding('IST0101', route, `Referenced ${kind} port not found: "${ref.namespace}/${ref.name}:${port}"`, `${path}.port`));
  return out;
}

/** An Istio Hostname backend (a registry host, such as a ServiceEntry's): MZ0017 without a port, IST0101 when no Service or ServiceEntry has that host and port. */
function hostnameBackend(w: World, route: KubeObject, ref: BackendRef, path: string, use: Use, what: string, outcome: string): Finding[] {
  if (ref.port === undefined) return use === 'unused' ? [] : [finding('MZ0017', route, `${what} Hostname "${ref.name}" has no port: ${outcome}`, path)];
  const entries = w.lookupHost(ref.name).filter((e) => e.host === ref.name);
  if (entries.length === 0) return [finding('IST0101', route, `Referenced host not found: "${ref.name}"`, `${path}.name`)];
  return entries.some((e) => e.ports.includes(ref.port!)) ? [] : [finding('IST0101', route, `Referenced host port not found: "${ref.name}:${ref.port}"`, `${path}.port`)];
}

/** The type of each filter of a list; undefined for an entry without a string type (which no filter type matches). */
const filterTypes = (filters: unknown): Array<string | undefined> => arr(filters).map((f) => str(rec(f).type));

const typeName = (type: string | undefined): string => (type === undefined ? 'filter without a type' : `filter of type ${type}`);

/** `it applies A, B` / `it applies none on TCPRoutes`. */
const applies = (kind: string, types: readonly string[]): string => (types.length > 0 ? `it applies ${types.join(', ')}` : `it applies none on ${kind}s`);

/**
 * MZ0018 for each rule filter mizzen does not apply (the rule answers 500; a TLSRoute's or TCPRoute's rule routes
 * as if it had none); RequestMirror backends checked.
 */
function checkRuleFilters(w: World, route: KubeObject, rule: Rec, base: string): Finding[] {
  const out: Finding[] = [];
  const applied = RULE_FILTERS[route.kind] ?? [];
  const outcome = isL4Route(route.kind) ? 'the rule routes as if it had no filters' : 'the requests this rule matches answer 500';
  for (const [f, type] of filterTypes(rule.filters).entries()) {
    const path = `${base}.filters[${f}]`;
    if (type === undefined || !applied.includes(type)) {
      out.push(finding('MZ0018', route, `${route.kind} rule ${typeName(type)} is not applied by mizzen (${applies(route.kind, applied)}): ${outcome}`, path));
    } else if (type === 'RequestMirror') {
      out.push(...checkBackend(w, route, rec(rec(arr(rule.filters)[f]).requestMirror).backendRef, `${path}.requestMirror.backendRef`, 'mirror'));
    }
  }
  return out;
}

/**
 * MZ0018 for each filter of a backendRef that mizzen does not apply there: the backend is not used, its share
 * answers 500 (or fails). A TLSRoute's or TCPRoute's backend takes the header modifiers too, and ignores them.
 */
function checkBackendFilters(route: KubeObject, backend: unknown, path: string): Finding[] {
  const out: Finding[] = [];
  const l4 = isL4Route(route.kind);
  for (const [f, type] of filterTypes(rec(backend).filters).entries()) {
    const taken = type !== undefined && BACKEND_FILTERS.includes(type);
    if (taken && !l4) continue;
    const why = l4 ? applies(route.kind, []) : `${applies(route.kind, BACKEND_FILTERS)} there`;
    out.push(finding('MZ0018', route, `backendRef ${typeName(type)} is not applied by mizzen (${why}): ${taken ? 'it is ignored' : shareFails(route)}`, `${path}.filters[${f}]`));
  }
  return out;
}

function checkRules(w: World, route: KubeObject): Finding[] {
  const out: Finding[] = [];
  for (const [i, raw] of arr(rec(route.spec).rules).entries()) {
    const rule = rec(raw);
    const base = `spec.rules[${i}]`;
    out.push(...checkRuleFilters(w, route, rule, base));
    // A redirecting rule answers with the redirect: its backends get no traffic.
    const redirects = route.kind === 'HTTPRoute' && filterTypes(rule.filters).includes('RequestRedirect');
    for (const [j, b] of arr(rule.backendRefs).entries()) {
      const path = `${base}.backendRefs[${j}]`;
      const use: Use = redirects || rec(b).weight === 0 ? 'unused' : 'share';
      out.push(...checkBackend(w, route, b, path, use));
      if (use === 'share') out.push(...checkBackendFilters(route, b, path));
    }
  }
  return out;
}

export function gatewayRoutes(w: World): Finding[] {
  const out: Finding[] = [];
  for (const route of GATEWAY_ROUTE_KINDS.flatMap((kind) => w.coreSubjects(kind))) {
    if (!isGatewayRoute(route)) continue;
    const parents = checkParents(w, route, parentsWithPaths(route));
    out.push(...parents.findings);
    // Only a route attached somewhere is served; the rules of any other change nothing.
    if (parents.attached) out.push(...checkRules(w, route));
  }
  return out;
}
