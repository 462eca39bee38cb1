/**
 * The VirtualServices a gateway proxy reads for one of its Gateways, and the virtual hosts of a gateway route
 * configuration made from them, as istiod builds both. Pure.
 *
 * - Which VirtualServices, in which order: those bound to the Gateway (by `ns/name`, or by `name` from its own
 *   namespace) and visible from the proxy's namespace (exportTo, else the mesh config's default): first those of
 *   the proxy's own namespace that it keeps private, then those exported to that namespace by name, then the
 *   public ones made from Gateway API routes in the proxy's namespace, then the other public ones. Within each
 *   group, oldest first, then by name, then by namespace.
 * - Which hosts: the narrower of each server host (a `ns/host` one only for VirtualServices of `ns`) and
 *   VirtualService host that overlap; `*` in a VirtualService under a server for `a.com` is `a.com`.
 * - One virtual host per such host (lowercase) in a route configuration: every VirtualService sharing the host
 *   appends its routes, in server order, then VirtualService order. A server with httpsRedirect makes the virtual
 *   hosts it contributes to, and one for each of its own hosts (without a namespace), require TLS.
 * - Then virtual hosts with the very same routes (one VirtualService's, for several of its hosts) become one whose
 *   domains are all of theirs, named after the most specific host; and each virtual host's catch-all routes (`/`,
 *   no header or query match) go last, the others keeping their order: so one VirtualService's default route does
 *   not hide the paths another adds for the host.
 * Sidecars do not merge: the first VirtualService of a host wins it there (routes.ts), as in Istio.
 */
import type { Config, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { asArray, asObject } from '../../model/selectors.js';
import { ROUTE_SEMANTICS } from '../../model/gateway-api.js';
import { type Json, byString } from './common.js';
import { hostMatches, memoOn, proxyLabels, resolveHost } from './context.js';
import { routableVirtualServices } from './delegation.js';
import { type GatewayNames, type RouteContext, translateHttpRule } from './httproute.js';
import { resolveGatewayName } from '../../model/hosts.js';
import { appendsForwardedHost } from './proxy-headers.js';

/** A server host: `namespace` `*` when it names none; `qualified` when it was written `ns/host` (`*` or `.` too). */
export interface ServerHost {
  namespace: string;
  host: string;
  qualified?: boolean;
}

/** What the route configuration reads of a gateway server. */
export interface RouteServer {
  gateway: Config;
  /** The server's port number (the port routes match). */
  number: number;
  hosts: readonly ServerHost[];
}

/**
 * The references by which a VirtualService in `vsNamespace` names the gateway, in any of the forms istiod resolves
 * (`ns/name`, `./name`, `name`, the legacy `name.ns.svc…`: resolveGatewayName).
 */
export function gatewayNames(gw: Config, vsNamespace: string): GatewayNames {
  const key = `${gw.namespace}/${gw.name}`;
  return { has: (ref) => resolveGatewayName(ref, vsNamespace) === key };
}

/** istiod's order of configs: older first, then by name, then by namespace. */
export function istioConfigOrder(a: Config, b: Config): number {
  return byString(a.creationTimestamp ?? '', b.creationTimestamp ?? '') || byString(a.name, b.name) || byString(a.namespace, b.namespace);
}

/** Where a VirtualService is exported: its exportTo, else the mesh default, else everywhere; `.` as its namespace. */
function exportedTo(vs: Config, fallback: readonly string[] | undefined): Set<string> {
  const own = asArray(vs.spec?.exportTo).filter((e): e is string => typeof e === 'string');
  const list = own.length > 0 ? own : fallback && fallback.length > 0 ? fallback : ['*'];
  return new Set(list.map((e) => (e === '.' ? vs.namespace : e)));
}

const boundMemo = new WeakMap<readonly Config[], Map<string, readonly Config[]>>();

/**
 * The VirtualServices (delegations merged) that a gateway proxy in `proxyNamespace` reads for the Gateway `gw`,
 * in istiod's order (see the header). A shared list: never to be modified.
 */
export function gatewayVirtualServices(snap: Snapshot, proxyNamespace: string, gw: Config): readonly Config[] {
  const vss = routableVirtualServices(snap);
  const fallback = snap.mesh.defaultExportTo?.virtualServices;
  return memoOn(boundMemo, vss, `${proxyNamespace}\n${gw.namespace}/${gw.name}\n${fallback?.join(',') ?? ''}`, () => {
    const [own, exported, gatewayApi, others]: Config[][] = [[], [], [], []];
    for (const vs of vss) {
      const names = gatewayNames(gw, vs.namespace);
      if (!asArray(vs.spec?.gateways).some((g) => typeof g === 'string' && names.has(g))) continue;
      const to = exportedTo(vs, fallback);
      if (to.has('*')) (vs.annotations[ROUTE_SEMANTICS] === 'gateway' && vs.namespace === proxyNamespace ? gatewayApi : others).push(vs);
      else if (!to.has('~') && to.has(proxyNamespace)) (vs.namespace === proxyNamespace ? own : exported).push(vs);
    }
    return [own, exported, gatewayApi, others].flatMap((group) => group.sort(istioConfigOrder));
  });
}

/**
 * The hosts a VirtualService serves under a server: the narrower of each overlapping pair of server host (of the
 * VirtualService's namespace, or any) and VirtualService host (a short name resolved in its namespace; those made
 * from Gateway API routes are taken as written, as istiod does).
 */
export function sharedHosts(server: readonly ServerHost[], vs: Config, domainSuffix: string): string[] {
  const out: string[] = [];
  const asWritten = vs.annotations[ROUTE_SEMANTICS] === 'gateway';
  for (const h of asArray(vs.spec?.hosts)) {
    if (typeof h !== 'string' || h === '') continue;
    const host = asWritten || h.includes('*') || h.includes('.') ? h : resolveHost(h, vs.namespace, domainSuffix);
    for (const sh of server) {
      if (sh.namespace !== '*' && sh.namespace !== vs.namespace) continue;
      const narrow = hostMatches(sh.host, host) ? host : hostMatches(host, sh.host) ? sh.host : undefined;
      if (narrow && !out.includes(narrow)) out.push(narrow);
    }
  }
  return out;
}

/** The VirtualServices bound to a server's gateway (gatewayVirtualServices) that share hosts with it, with those hosts. */
export function boundVirtualServices(snap: Snapshot, proxyNamespace: string, s: RouteServer): Array<{ vs: Config; hosts: string[] }> {
  const out: Array<{ vs: Config; hosts: string[] }> = [];
  for (const vs of gatewayVirtualServices(snap, proxyNamespace, s.gateway)) {
    const hosts = sharedHosts(s.hosts, vs, snap.domainSuffix);
    if (hosts.length) out.push({ vs, hosts });
  }
  return out;
}

/** A route that matches every request: path `/` (or the regex `.*`) and no header or query parameter match. */
export function isCatchAll(route: Json): boolean {
  const m = route.match ?? {};
  const everyPath = m.prefix === '/' || m.path_separated_prefix === '/' || m.safe_regex?.regex === '.*';
  return everyPath && !(m.headers?.length > 0) && !(m.query_parameters?.length > 0) && !(m.dynamic_metadata?.length > 0);
}

/** The routes with the catch-all ones moved to the end, the others keeping their order. */
export function catchAllLast(routes: readonly Json[]): Json[] {
  return [...routes.filter((r) => !isCatchAll(r)), ...routes.filter(isCatchAll)];
}

/** Whether host `a` sorts before `b` as istiod orders hosts: names before wildcards, longer first, then alphabetically. */
export function moreSpecificFirst(a: string, b: string): number {
  const wa = a.startsWith('*');
  const wb = b.startsWith('*');
  if (wa !== wb) return wa ? 1 : -1;
  return b.length - a.length || byString(a, b);
}

const domainsOf = (host: string): string[] => (host === '*' ? ['*'] : [host, `${host}:*`]);

/**
 * Virtual hosts keyed by host whose routes are the very same route objects in the same order (and the same TLS
 * requirement) become one: the most specific host's, with the domains of the others after its own.
 */
export function collapseDuplicates(vhosts: ReadonlyMap<string, Json>): Json[] {
  const ids = new Map<object, number>();
  const id = (o: object): number => ids.get(o) ?? ids.set(o, ids.size).get(o)!;
  const byRoutes = new Map<string, Json>();
  const out: Json[] = [];
  for (const host of [...vhosts.keys()].sort(moreSpecificFirst)) {
    const vh = vhosts.get(host)!;
    const key = `${vh.require_tls ?? ''}|${(vh.routes as Json[]).map(id).join(',')}`;
    const first = byRoutes.get(key);
    if (first) first.domains = [...first.domains, ...vh.domains];
    else {
      byRoutes.set(key, vh);
      out.push(vh);
    }
  }
  return out;
}

/**
 * The virtual hosts of a gateway route configuration for `servers` (listening on `port`), as istiod builds them
 * (see the header). `redirects`: whether a server's httpsRedirect applies to its virtual hosts.
 */
export function gatewayVirtualHosts<S extends RouteServer>(snap: Snapshot, proxy: Proxy, servers: readonly S[], port: number, redirects: (s: S) => boolean): Json[] {
  const labels = proxyLabels(snap, proxy);
  const forwardedHost = appendsForwardedHost(snap, proxy);
  // One VirtualService's routes are made once per gateway and port, and shared by the hosts it serves there.
  const made = new Map<string, Json[]>();
  const vhosts = new Map<string, Json>();
  const vhostFor = (host: string): Json => {
    let vh = vhosts.get(host);
    if (!vh) vhosts.set(host, (vh = { name: `${host}:${port}`, domains: domainsOf(host), routes: [], include_request_attempt_count: true }));
    return vh;
  };
  for (const s of servers) {
    const redirect = redirects(s);
    for (const { vs, hosts } of boundVirtualServices(snap, proxy.namespace, s)) {
      const key = `${s.gateway.namespace}/${s.gateway.name}\n${vs.namespace}/${vs.name}\n${s.number}`;
      let routes = made.get(key);
      if (!routes) made.set(key, (routes = translate({ snap, proxyNamespace: proxy.namespace, proxyLabels: labels, port: s.number, gateways: gatewayNames(s.gateway, vs.namespace), forwardedHost }, vs)));
      // A VirtualService without routes here makes no virtual host: its hosts stay with the wildcards that cover them.
      if (routes.length === 0) continue;
      for (const host of hosts) {
        const vh = vhostFor(host.toLowerCase());
        vh.routes.push(...routes);
        if (redirect) vh.require_tls = 'ALL';
      }
    }
    // A redirecting server's own hosts redirect even where no VirtualService routes them. istiod writes a
    // namespace-qualified host as it is, a domain no request carries: such hosts get none here.
    if (redirect) for (const h of s.hosts) if (!h.qualified) vhostFor(h.host.toLowerCase()).require_tls = 'ALL';
  }
  // Envoy refuses a domain twice in one route configuration: the first virtual host keeps it.
  const used = new Set<string>();
  const out: Json[] = [];
  for (const vh of collapseDuplicates(vhosts).sort((a, b) => byString(a.name, b.name))) {
    const domains = (vh.domains as string[]).filter((d) => !used.has(d));
    domains.forEach((d) => used.add(d));
    if (!domains.length) continue;
    out.push({ name: vh.name, domains, routes: catchAllLast(vh.routes), ...(vh.require_tls ? { require_tls: vh.require_tls } : {}), include_request_attempt_count: true });
  }
  return out;
}

/**
 * A VirtualService's HTTP routes for a gateway server, as istiod makes them there: up to its first catch-all (a
 * rule without matches, or a match that takes every request), which ends them, even when that rule yields no
 * route; the rules after it could never be reached in the VirtualService, and must not become reachable when its
 * catch-all moves last. A rule that cannot be translated is left out.
 */
function translate(ctx: RouteContext, vs: Config): Json[] {
  const routes: Json[] = [];
  for (const [i, rule] of asArray(vs.spec?.http).entries()) {
    let made: Json[] = [];
    try {
      made = translateHttpRule(ctx, vs, rule, i);
    } catch {
      // Untranslatable rule: left out.
    }
    const end = made.findIndex(isCatchAll);
    routes.push(...(end < 0 ? made : made.slice(0, end + 1)));
    if (end >= 0 || asArray(asObject(rule).match).length === 0) break;
  }
  return routes;
}
