/**
 * Gateway API routes for mesh traffic: HTTPRoutes, GRPCRoutes, TLSRoutes and TCPRoutes (gateway.networking.k8s.io)
 * attached to a Service become VirtualServices of that Service's host (http, tls and tcp routes), which the
 * generators serve as they serve any other. Pure.
 *
 * - One VirtualService per route namespace and parent Service. Routes in the Service's own namespace (producer
 *   routes) apply to every client; routes in another namespace (consumer routes) only to clients in theirs, and
 *   before the producer's. A VirtualService of Istio's own for the host comes first and wins it.
 * - Backends: Services (and multi-cluster ServiceImports, the Service here), and Istio `Hostname`s
 *   (networking.istio.io): hosts of the registry such as a ServiceEntry's. Filters: header modifiers, redirect, URL
 *   rewrite, mirror and CORS (GRPCRoute: header modifiers and mirror).
 * - Each match of each rule is one http rule, ordered as the Gateway API orders matches: Exact, then PathPrefix,
 *   then RegularExpression paths, longer first, then a method, more headers, more query parameters; ties keep the
 *   routes' age, name and rule order. A parentRef's port (or sectionName, a port name) narrows every match to it.
 * - A backend the route may not use (not a core Service with that port, or in another namespace without a
 *   ReferenceGrant) keeps its share of the traffic, routed to a cluster that does not exist: the generated route
 *   answers 500 for it (ROUTE_SEMANTICS). A rule with no usable backend, or with a filter mizzen does not apply,
 *   answers 500 itself.
 * - The VirtualServices carry ROUTE_SEMANTICS: their prefixes match whole path segments, as the Gateway API says.
 */
import { fqdn, type KubeObject } from '../core/kube.js';
import { escapeRegex } from '../core/regex.js';
import type { Config, Service } from './types.js';
import { asArray, asObject, asString, nonEmptyStrings } from './selectors.js';
import { BACKEND_FILTERS, RULE_FILTERS, type BackendRef, type ParentRef, backendHost, backendRef, parentRefs, referenceAllowed, routeHostnames } from './gateway-refs.js';

/** Annotation (value `gateway`) on VirtualServices made from Gateway API routes; istiod marks its own so. */
export const ROUTE_SEMANTICS = 'internal.istio.io/route-semantics';
/** Annotation naming the routes a VirtualService was made from: `HTTPRoute/name.namespace`, comma-separated. */
export const ROUTE_PARENTS = 'internal.istio.io/parent';
/** The host of a backend the route may not use: no Service has it, so no cluster exists and its share answers 500. */
export const INVALID_BACKEND_HOST = 'invalid-backend.gateway-api.mizzen.internal';

type Json = Record<string, any>;

const SERVER_ERROR = { directResponse: { status: 500 } };

/** A Gateway API duration (`1h2m3s4ms`, up to four parts) in milliseconds; undefined when it is not one. */
export function gatewayDurationMs(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^(\d{1,5}(h|ms|m|s)){1,4}$/.test(v)) return undefined;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let ms = 0;
  for (const m of v.matchAll(/(\d+)(h|ms|m|s)/g)) ms += Number(m[1]) * unit[m[2]!]!;
  return ms;
}


/** Header (or query parameter) matches: a name → StringMatch map; a repeated name keeps its first match. */
function valueMatches(list: unknown, lower: boolean): Json | undefined {
  const out: Json = {};
  for (const raw of asArray(list)) {
    const h = asObject(raw);
    const name = asString(h.name);
    const value = asString(h.value);
    if (!name || value === undefined) continue;
    const key = lower ? name.toLowerCase() : name;
    if (key in out) continue;
    out[key] = h.type === 'RegularExpression' ? { regex: value } : { exact: value };
  }
  return Object.keys(out).length ? out : undefined;
}

/** An HTTPRoute match → a VirtualService match (the Gateway API's default path: PathPrefix /). */
function httpMatch(raw: unknown): Json {
  const m = asObject(raw);
  const path = asObject(m.path);
  const value = asString(path.value) ?? '/';
  const out: Json = {};
  if (path.type === 'Exact') out.uri = { exact: value };
  else if (path.type === 'RegularExpression') out.uri = { regex: value };
  else out.uri = { prefix: value.length > 1 ? value.replace(/\/+$/, '') || '/' : value };
  const headers = valueMatches(m.headers, true);
  if (headers) out.headers = headers;
  const query = valueMatches(m.queryParams, false);
  if (query) out.queryParams = query;
  if (typeof m.method === 'string' && m.method) out.method = { exact: m.method };
  return out;
}

/** A GRPCRoute match → a VirtualService match on the request path `/service/method`. */
function grpcMatch(raw: unknown): Json {
  const m = asObject(raw);
  const method = asObject(m.method);
  const service = asString(method.service) || undefined;
  const name = asString(method.method) || undefined;
  const out: Json = {};
  if (method.type === 'RegularExpression' && (service || name)) out.uri = { regex: `/${service ?? '[^/]+'}/${name ?? '[^/]+'}` };
  else if (service && name) out.uri = { exact: `/${service}/${name}` };
  else if (service) out.uri = { prefix: `/${service}/` };
  else if (name) out.uri = { regex: `/[^/]+/${escapeRegex(name)}` };
  const headers = valueMatches(m.headers, true);
  if (headers) out.headers = headers;
  return out;
}

/** A header modifier's `{set: [{name, value}], add, remove}` → a VirtualService header operations object. */
function headerOps(raw: unknown): Json {
  const o = asObject(raw);
  const out: Json = {};
  for (const op of ['set', 'add'] as const) {
    const map: Record<string, string> = {};
    for (const h of asArray(o[op])) {
      const name = asString(asObject(h).name);
      const value = asString(asObject(h).value);
      if (name && value !== undefined) map[name] = value;
    }
    if (Object.keys(map).length) out[op] = map;
  }
  const remove = nonEmptyStrings(o.remove);
  if (remove.length) out.remove = remove;
  return out;
}

/** Header modifier filters → VirtualService `headers`; undefined when none modify anything. */
function headersOf(filters: readonly Json[]): Json | undefined {
  const out: Json = {};
  for (const f of filters) {
    if (f.type === 'RequestHeaderModifier') out.request = headerOps(f.requestHeaderModifier);
    if (f.type === 'ResponseHeaderModifier') out.response = headerOps(f.responseHeaderModifier);
  }
  return Object.keys(out).length ? out : undefined;
}

/** What a route's references resolve against. */
export interface RouteWorld {
  domainSuffix: string;
  services: ReadonlyMap<string, Service>;
  /** ReferenceGrants, as Kubernetes objects. */
  grants: readonly KubeObject[];
  /** Istio ServiceEntries, which routes may name as parents (their hosts); none when absent. */
  serviceEntries?: readonly Config[];
}

/**
 * The hosts a mesh parentRef makes a route apply to: a Service's FQDN, or the hosts of the ServiceEntry it names
 * (in its namespace); none for any other parent, or a ServiceEntry mizzen does not have.
 */
export function parentHosts(w: Pick<RouteWorld, 'domainSuffix' | 'serviceEntries'>, p: ParentRef): string[] {
  if (p.service) return [fqdn(p.name, p.namespace, w.domainSuffix)];
  if (!p.serviceEntry) return [];
  const se = (w.serviceEntries ?? []).find((c) => c.name === p.name && c.namespace === p.namespace);
  return se ? nonEmptyStrings(asObject(se.spec).hosts) : [];
}

/** Why a route may not use a backend, in the Gateway API's words (route status ResolvedRefs reasons). */
export type BackendProblem = 'InvalidKind' | 'RefNotPermitted' | 'BackendNotFound';

/**
 * Whether a route may use a backend: the host and port it routes to, or why not (not a kind mizzen routes to;
 * another namespace without a ReferenceGrant; no such host, or no such port on it, or no port).
 */
export function backendUse(w: RouteWorld, route: Pick<Config, 'kind' | 'namespace'>, ref: BackendRef): { host: string; port: number } | { problem: BackendProblem; host?: string } {
  const host = backendHost(ref, w.domainSuffix);
  if (!host) return { problem: 'InvalidKind' };
  if (!referenceAllowed(w.grants, route.kind, route.namespace, ref)) return { problem: 'RefNotPermitted', host };
  if (ref.port === undefined || !w.services.get(host)?.ports.some((p) => p.port === ref.port)) return { problem: 'BackendNotFound', host };
  return { host, port: ref.port };
}

/** The destination of a backendRef; INVALID_BACKEND_HOST when the route may not use it. */
function destination(w: RouteWorld, route: Config, ref: BackendRef | undefined): Json {
  const use = ref && backendUse(w, route, ref);
  return use && 'port' in use ? { host: use.host, port: { number: use.port } } : { host: INVALID_BACKEND_HOST, port: { number: 1 } };
}

/** A RequestMirror filter → a VirtualService mirror; undefined when its backend cannot be used. */
function mirrorOf(w: RouteWorld, route: Config, raw: unknown): Json | undefined {
  const o = asObject(raw);
  const dest = destination(w, route, backendRef(o.backendRef, route.namespace));
  if (dest.host === INVALID_BACKEND_HOST) return undefined;
  const frac = asObject(o.fraction);
  let pct = 100;
  if (typeof o.percent === 'number') pct = o.percent;
  else if (typeof frac.numerator === 'number') pct = (frac.numerator * 100) / (typeof frac.denominator === 'number' && frac.denominator > 0 ? frac.denominator : 100);
  return { destination: dest, percentage: { value: Math.max(0, Math.min(100, pct)) } };
}

/** A CORS filter → a VirtualService corsPolicy (origins exact, max age in seconds). */
function corsPolicy(c: Json): Json {
  const out: Json = {};
  const origins = nonEmptyStrings(c.allowOrigins);
  if (origins.length) out.allowOrigins = origins.map((exact) => ({ exact }));
  for (const k of ['allowMethods', 'allowHeaders', 'exposeHeaders'] as const) if (nonEmptyStrings(c[k]).length) out[k] = nonEmptyStrings(c[k]);
  if (c.allowCredentials === true) out.allowCredentials = true;
  if (typeof c.maxAge === 'number' && c.maxAge > 0) out.maxAge = `${Math.floor(c.maxAge)}s`;
  return out;
}

/** A `ReplacePrefixMatch` / `ReplaceFullPath` path modifier of a URLRewrite → VirtualService rewrite fields. */
function pathRewrite(path: Json, prefix: string | undefined): Json {
  if (path.type === 'ReplaceFullPath' && typeof path.replaceFullPath === 'string') return { uriRegexRewrite: { match: '^.*$', rewrite: path.replaceFullPath } };
  if (path.type !== 'ReplacePrefixMatch' || typeof path.replacePrefixMatch !== 'string') return {};
  const value = path.replacePrefixMatch;
  // `/foo` → `/` must turn /foo/bar into /bar, not //bar: the prefix and the slashes after it become one.
  if (value.replace(/\/+$/, '') === '' && prefix && prefix !== '/') return { uriRegexRewrite: { match: `^${escapeRegex(prefix)}/*`, rewrite: '/' } };
  return { uri: value.length > 1 ? value.replace(/\/+$/, '') : value };
}

/**
 * The weighted destinations of a rule's backendRefs (weight 0 left out; one the route may not use kept, sent to
 * INVALID_BACKEND_HOST), with the backends' own header edits.
 */
function routeDestinations(w: RouteWorld, route: Config, rule: Json): Json[] {
  const dests: Json[] = [];
  for (const raw of asArray(rule.backendRefs)) {
    const b = asObject(raw);
    const weight = typeof b.weight === 'number' && Number.isInteger(b.weight) && b.weight >= 0 ? b.weight : 1;
    if (weight === 0) continue;
    const bf = asArray(b.filters).map(asObject);
    const usable = bf.every((f) => BACKEND_FILTERS.includes(f.type));
    const dest = usable ? destination(w, route, backendRef(b, route.namespace)) : destination(w, route, undefined);
    const h = usable ? headersOf(bf) : undefined;
    dests.push({ destination: dest, weight, ...(h ? { headers: h } : {}) });
  }
  return dests;
}

/** Destinations as a VirtualService route: one backend takes everything, without a weight (one cluster, not a split of one). */
const asRoute = (dests: readonly Json[]): Json[] => (dests.length === 1 ? dests.map(({ weight: _w, ...d }) => d) : [...dests]);

/** A TCP or TLS route's destinations as a VirtualService tcp/tls route; none without any. */
function l4Route(w: RouteWorld, route: Config, rule: Json): Json[] {
  return asRoute(routeDestinations(w, route, rule).map(({ headers: _h, ...d }) => d));
}

/**
 * The L4 rules of a TCPRoute or TLSRoute: each rule with backends becomes a VirtualService `tcp` route, or, for a
 * TLSRoute that names hostnames, a `tls` route matching them by SNI.
 */
export function l4Rules(w: RouteWorld, route: Config): { tcp: Json[]; tls: Json[] } {
  const out = { tcp: [] as Json[], tls: [] as Json[] };
  const hostnames = route.kind === 'TLSRoute' ? routeHostnames(route.spec) : [];
  for (const dests of l4Routes(w, route)) {
    if (hostnames.length) out.tls.push({ match: [{ sniHosts: hostnames }], route: dests });
    else out.tcp.push({ route: dests });
  }
  return out;
}

/** Each rule's destinations of a TCPRoute or TLSRoute (rules without any left out). */
export function l4Routes(w: RouteWorld, route: Config): Json[][] {
  return asArray(asObject(route.spec).rules)
    .map((rule) => l4Route(w, route, asObject(rule)))
    .filter((d) => d.length > 0);
}

/** The body of one rule (everything but its match): route, redirect, rewrite, headers, mirrors, timeouts, retries. */
function ruleBody(w: RouteWorld, route: Config, rule: Json, prefix: string | undefined): Json {
  const filters = asArray(rule.filters).map(asObject);
  const applied = RULE_FILTERS[route.kind] ?? [];
  if (filters.some((f) => !applied.includes(f.type))) return { ...SERVER_ERROR };
  const out: Json = {};
  const headers = headersOf(filters);
  if (headers) out.headers = headers;
  const mirrors = filters.filter((f) => f.type === 'RequestMirror').flatMap((f) => mirrorOf(w, route, f.requestMirror) ?? []);
  if (mirrors.length) out.mirrors = mirrors;
  const redirect = filters.find((f) => f.type === 'RequestRedirect');
  if (redirect) {
    const r = asObject(redirect.requestRedirect);
    const path = asObject(r.path);
    const to: Json = { redirectCode: typeof r.statusCode === 'number' ? r.statusCode : 302 };
    if (typeof r.scheme === 'string') to.scheme = r.scheme;
    if (typeof r.hostname === 'string') to.authority = r.hostname;
    // No port: the request's, or the new scheme's default (as the Gateway API says, which is not Istio's default).
    if (typeof r.port === 'number') to.port = r.port;
    else to.derivePort = typeof r.scheme === 'string' ? 'FROM_PROTOCOL_DEFAULT' : 'FROM_REQUEST_PORT';
    if (path.type === 'ReplaceFullPath' && typeof path.replaceFullPath === 'string') to.uri = path.replaceFullPath;
    else if (path.type === 'ReplacePrefixMatch' && typeof path.replacePrefixMatch === 'string') to.prefixRewrite = path.replacePrefixMatch;
    return { ...out, redirect: to };
  }
  const cors = filters.find((f) => f.type === 'CORS');
  if (cors) out.corsPolicy = corsPolicy(asObject(cors.cors));
  const rewrite = filters.find((f) => f.type === 'URLRewrite');
  if (rewrite) {
    const r = asObject(rewrite.urlRewrite);
    const rw: Json = { ...pathRewrite(asObject(r.path), prefix) };
    if (typeof r.hostname === 'string' && r.hostname) rw.authority = r.hostname;
    if (Object.keys(rw).length) out.rewrite = rw;
  }
  const dests = routeDestinations(w, route, rule);
  if (dests.length === 0) return { ...SERVER_ERROR };
  out.route = asRoute(dests);
  const timeouts = asObject(rule.timeouts);
  const request = gatewayDurationMs(timeouts.request);
  const backend = gatewayDurationMs(timeouts.backendRequest);
  if (request !== undefined) out.timeout = `${request}ms`;
  const retry = asObject(rule.retry);
  const retries: Json = {};
  if (rule.retry !== undefined) {
    retries.attempts = typeof retry.attempts === 'number' && Number.isInteger(retry.attempts) ? retry.attempts : 0;
    const codes = asArray(retry.codes).filter((c): c is number => typeof c === 'number' && Number.isInteger(c) && c >= 400 && c <= 599);
    if (codes.length) retries.retryOn = codes.join(',');
    const backoff = gatewayDurationMs(retry.backoff);
    if (backoff !== undefined) retries.backoff = `${backoff}ms`;
  }
  if (backend !== undefined && backend > 0) {
    retries.attempts ??= 2; // the mesh's default retries, each try bounded
    if (retries.attempts > 0) retries.perTryTimeout = `${backend}ms`;
    // Without retries the one try is the whole request.
    else if (request === undefined || request === 0 || backend < request) out.timeout = `${backend}ms`;
  }
  if (Object.keys(retries).length) out.retries = retries;
  return out;
}

/** Precedence of a match among the Gateway API's: the comparison istiod and the Gateway API agree on. */
function comparePrecedence(a: Json | undefined, b: Json | undefined): number {
  if (!a || !b) return a ? -1 : b ? 1 : 0;
  const rank = (m: Json): number => (m.uri?.exact !== undefined ? 3 : m.uri?.prefix !== undefined ? 2 : m.uri?.regex !== undefined ? 1 : 0);
  const len = (m: Json): number => String(m.uri?.exact ?? m.uri?.prefix ?? m.uri?.regex ?? '').length;
  const count = (o: unknown): number => Object.keys(asObject(o)).length;
  return rank(b) - rank(a) || len(b) - len(a) || (b.method ? 1 : 0) - (a.method ? 1 : 0) || count(b.headers) - count(a.headers) || count(b.queryParams) - count(a.queryParams);
}

/** One match of one rule of a route (undefined match: every request), named `namespace.route.rule.match`. */
export interface RouteRule {
  match: Json | undefined;
  body: Json;
  name: string;
}

/** A route's rules, one per match, in the route's order. */
export function routeRules(w: RouteWorld, route: Config): RouteRule[] {
  const out: RouteRule[] = [];
  for (const [i, rule] of asArray(asObject(route.spec).rules).map(asObject).entries()) {
    const raw = asArray(rule.matches);
    const matches = route.kind === 'GRPCRoute' ? raw.map(grpcMatch) : (raw.length ? raw : [{}]).map(httpMatch);
    // The body is the rule's for every match, but for a prefix rewrite, which reads the match's prefix.
    const bodies = new Map<string | undefined, Json>();
    const bodyFor = (prefix: string | undefined): Json => bodies.get(prefix) ?? bodies.set(prefix, ruleBody(w, route, rule, prefix)).get(prefix)!;
    for (const [j, m] of (matches.length ? matches : [undefined]).entries()) {
      out.push({ match: m, body: bodyFor(m?.uri?.prefix), name: `${route.namespace}.${route.name}.${i}.${j}` });
    }
  }
  return out;
}

/** VirtualService http rules from route rules gathered in route order: ordered by precedence, ties kept. */
function orderedHttp(rules: readonly RouteRule[]): Json[] {
  return rules
    .map((r, k) => ({ r, k }))
    .sort((x, y) => comparePrecedence(x.r.match, y.r.match) || x.k - y.k)
    .map(({ r }) => ({ name: r.name, ...(r.match ? { match: [r.match] } : {}), ...r.body }));
}

/** The routes gathered for one VirtualService (one host, on a Service or a Gateway listener), and the routes they came from. */
export interface RouteGroup {
  rules: RouteRule[];
  tls: Json[];
  tcp: Json[];
  parents: string[];
  /** The oldest route: the VirtualService takes its age. */
  first: Config;
  revision: number;
}

export const routeGroup = (first: Config): RouteGroup => ({ rules: [], tls: [], tcp: [], parents: [], first, revision: 0 });

/** Records that `route` contributes to the group. */
export function addRoute(g: RouteGroup, route: Config): void {
  g.parents.push(`${route.kind}/${route.name}.${route.namespace}`);
  g.revision = Math.max(g.revision, route.revision);
}

/** The VirtualService of a group, bound to `gateways`, seen from `exportTo`; it answers Gateway API semantics. */
export function groupVirtualService(g: RouteGroup, o: { name: string; namespace: string; host: string; gateways: string[]; exportTo: string }): Config {
  return {
    kind: 'VirtualService',
    apiVersion: 'networking.istio.io/v1',
    name: o.name,
    namespace: o.namespace,
    labels: {},
    annotations: { [ROUTE_SEMANTICS]: 'gateway', [ROUTE_PARENTS]: g.parents.join(',') },
    spec: {
      hosts: [o.host],
      gateways: o.gateways,
      exportTo: [o.exportTo],
      ...(g.rules.length ? { http: orderedHttp(g.rules) } : {}),
      ...(g.tls.length ? { tls: g.tls } : {}),
      ...(g.tcp.length ? { tcp: g.tcp } : {}),
    },
    revision: g.revision,
    ...(g.first.creationTimestamp ? { creationTimestamp: g.first.creationTimestamp } : {}),
  };
}

/** The group of the routes on one Service, from one namespace. */
interface Group extends RouteGroup {
  namespace: string;
  host: string;
  parent: { name: string; namespace: string };
  consumer: boolean;
}

/** TCPRoutes and TLSRoutes: L4 routes (VirtualService tcp and tls sections) rather than HTTP ones. */
export const isL4Route = (kind: string): boolean => kind === 'TCPRoute' || kind === 'TLSRoute';

/** L4 routes narrowed to `ports` (each match gets the port; a tcp route without matches gets one per port). */
function l4OnPorts(list: readonly Json[], ports: readonly number[] | undefined): Json[] {
  if (!ports) return [...list];
  return list.flatMap((r) => ports.map((port) => ({ ...r, match: r.match ? r.match.map((m: Json) => ({ ...m, port })) : [{ port }] })));
}

/**
 * The ports of `host` one Service parentRef attaches a route to: undefined for every port (it names none), a port
 * it names by number or by name (sectionName), or null when it names one the Service has not (it attaches nowhere;
 * a Service mizzen does not know takes any port number).
 */
export function parentRefPort(services: ReadonlyMap<string, Service>, host: string, ref: Pick<ParentRef, 'port' | 'sectionName'>): number | undefined | null {
  const svc = services.get(host);
  if (ref.port !== undefined) return !svc || svc.ports.some((p) => p.port === ref.port) ? ref.port : null;
  if (ref.sectionName) return svc?.ports.find((p) => p.name === ref.sectionName)?.port ?? null;
  return undefined;
}

/** The ports a route's parentRefs to one Service narrow it to: undefined for every port, [] for none (all name ports the Service has not). */
function parentPorts(w: RouteWorld, host: string, refs: readonly ParentRef[]): number[] | undefined {
  const ports = new Set<number>();
  for (const p of refs) {
    const port = parentRefPort(w.services, host, p);
    if (port === undefined) return undefined;
    if (port !== null) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * The VirtualServices of `routes` (HTTPRoute, GRPCRoute, TCPRoute and TLSRoute configs in compareConfigs order):
 * consumer routes' first, then producer routes', each in the order of its oldest route.
 */
export function gatewayRouteVirtualServices(routes: readonly Config[], w: RouteWorld): Config[] {
  const groups = new Map<string, Group>();
  for (const route of routes) {
    const refs = parentRefs(route.spec, route.namespace).filter((p) => p.service || p.serviceEntry);
    const byHost = new Map<string, typeof refs>();
    for (const p of refs) for (const host of parentHosts(w, p)) byHost.set(host, [...(byHost.get(host) ?? []), p]);
    const l4 = isL4Route(route.kind);
    const rules = byHost.size && !l4 ? routeRules(w, route) : [];
    const { tcp, tls } = byHost.size && l4 ? l4Rules(w, route) : { tcp: [], tls: [] };
    for (const [host, parents] of byHost) {
      // A route whose parentRefs name only ports the Service has not attaches to it nowhere: it changes nothing.
      const ports = parentPorts(w, host, parents);
      if (ports?.length === 0) continue;
      const key = `${route.namespace}/${host}`;
      let g = groups.get(key);
      if (!g) {
        // A ServiceEntry's VirtualServices are one per host, named by it too.
        const parent = { name: parents[0]!.serviceEntry ? `${parents[0]!.name}.${host}` : parents[0]!.name, namespace: parents[0]!.namespace };
        g = { ...routeGroup(route), namespace: route.namespace, host, parent, consumer: parent.namespace !== route.namespace };
        groups.set(key, g);
      }
      addRoute(g, route);
      for (const r of rules) {
        if (!ports) g.rules.push(r);
        else for (const port of ports) g.rules.push({ match: { ...(r.match ?? {}), port }, body: r.body, name: ports.length > 1 ? `${r.name}.${port}` : r.name });
      }
      g.tcp.push(...l4OnPorts(tcp, ports));
      g.tls.push(...l4OnPorts(tls, ports));
    }
  }
  const ordered = [...groups.values()].sort((a, b) => Number(b.consumer) - Number(a.consumer));
  return ordered.map((g) => groupVirtualService(g, { name: `${g.parent.name}.${g.parent.namespace}.gateway-api`, namespace: g.namespace, host: g.host, gateways: ['mesh'], exportTo: g.consumer ? '.' : '*' }));
}
