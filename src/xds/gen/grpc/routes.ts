/**
 * RDS for proxyless gRPC: one RouteConfiguration per service port, named `<fqdn>:<port>`, with one virtual host
 * whose domains are every authority a client in the node's namespace may dial (FQDN and short forms), and the
 * routes of the VirtualService for that host (or a default route when there is none). Pure.
 */
import type { Config, Service, ServicePort, Snapshot } from '../../../model/types.js';
import type { Proxy } from '../../../model/proxy.js';
import type { NamedResource } from '../index.js';
import { asArray, asObject, asString } from '../../../model/selectors.js';
import { configVisible, hostCandidates, hostIndex, proxyLabels, vsHosts } from '../context.js';
import { domainsFor, routeName, splitHostPort, servedService, servedServices } from './names.js';
import { defaultRoute, translateRule, type RouteContext } from './http-route.js';
import { proxyVirtualServices } from '../routes.js';
import { routableVirtualServices } from '../delegation.js';
import { INVALID_BACKEND_HOST, ROUTE_SEMANTICS } from '../../../model/gateway-api.js';

type Obj = Record<string, unknown>;

function appliesToMesh(vs: Config): boolean {
  const gateways = asArray(vs.spec?.gateways);
  return gateways.length === 0 || gateways.includes('mesh');
}

/**
 * The VirtualService routing `svc` for a node in `proxyNamespace`: an exact host beats a wildcard; then one in
 * the node's namespace, then the service's, then any other; among equals the oldest (the snapshot's order).
 * `inScope`, when given, holds the VirtualServices the node's Sidecar resource lets it see.
 */
export function virtualServiceFor(snap: Snapshot, proxyNamespace: string, svc: Service, inScope?: readonly Config[]): Config | undefined {
  let best: Config | undefined;
  let bestRank = Infinity;
  let bestAt = Infinity;
  // Candidates from the shared host index (a map read plus wildcards), not a scan of every VirtualService.
  for (const { config: vs, at, exact } of hostCandidates(hostIndex(routableVirtualServices(snap), 'vs', snap.domainSuffix, vsHosts), svc.hostname)) {
    if (!appliesToMesh(vs) || !configVisible(vs, proxyNamespace, snap.mesh.defaultExportTo?.virtualServices) || asArray(vs.spec?.http).length === 0 || (inScope && !inScope.includes(vs))) continue;
    const rank = (exact ? 0 : 3) + (vs.namespace === proxyNamespace ? 0 : vs.namespace === svc.namespace ? 1 : 2);
    if (rank < bestRank || (rank === bestRank && at < bestAt)) {
      best = vs;
      bestRank = rank;
      bestAt = at;
    }
  }
  return best;
}

/**
 * A Gateway API rule as a gRPC client can take it. A client waits for every cluster its routes name, so a route to a
 * cluster that does not exist (a backend the route may not use: model/gateway-api.ts) would stall the whole channel:
 * such backends are left out of a split (the others take their share), and a rule left with none, or that answers
 * 500 (a filter mizzen does not apply), becomes a fault that aborts every call with HTTP 500 on the service's own
 * cluster, since gRPC takes no direct response and leaving the rule out would let a later one take its calls.
 */
function forGrpc(vs: Config, rule: Record<string, any>, svc: Service, port: ServicePort): Record<string, any> {
  if (vs.annotations[ROUTE_SEMANTICS] !== 'gateway' || rule.redirect) return rule;
  const { directResponse, ...rest } = rule;
  const route = asArray(rule.route).filter((d) => asObject(asObject(d).destination).host !== INVALID_BACKEND_HOST);
  if (!directResponse && route.length > 0) return route.length === asArray(rule.route).length ? rule : { ...rest, route };
  return { ...rest, route: [{ destination: { host: svc.hostname, port: { number: port.port } } }], fault: { abort: { httpStatus: 500, percentage: { value: 100 } } } };
}

/** The RouteConfiguration of one service port as this node sees it. */
export function buildRouteConfig(snap: Snapshot, proxy: Proxy, svc: Service, port: ServicePort): Obj {
  const ctx: RouteContext = { snap, proxy, labels: proxyLabels(snap, proxy), service: svc, port };
  const vs = virtualServiceFor(snap, proxy.namespace, svc, snap.sidecars.length > 0 ? proxyVirtualServices(snap, proxy) : undefined);
  const routes: Obj[] = [];
  if (vs) {
    asArray(vs.spec?.http).forEach((r, i) => {
      const rule = forGrpc(vs, asObject(r), svc, port);
      routes.push(...translateRule(ctx, vs.namespace, rule, asString(rule.name) ?? `${vs.name}.${vs.namespace}.${i}`));
    });
  } else {
    routes.push(defaultRoute(ctx));
  }
  const name = routeName(svc, port);
  return { name, virtual_hosts: [{ name, domains: domainsFor(svc, port, proxy.namespace, snap.domainSuffix), routes }] };
}

/** Route configurations by name (`<fqdn>:<port>`; unknown names left out); every visible service port's when `names` is undefined. */
export function grpcRoutes(snap: Snapshot, proxy: Proxy, names?: readonly string[]): NamedResource[] {
  const out: NamedResource[] = [];
  if (names === undefined) {
    for (const svc of servedServices(snap, proxy)) for (const p of svc.ports) out.push({ name: routeName(svc, p), resource: buildRouteConfig(snap, proxy, svc, p) });
    return out;
  }
  for (const name of new Set(names)) {
    const hp = splitHostPort(name);
    const svc = hp && servedService(snap, proxy, hp.host);
    const port = svc?.ports.find((p) => p.port === hp?.port);
    if (!svc || !port) continue;
    out.push({ name, resource: buildRouteConfig(snap, proxy, svc, port) });
  }
  return out;
}
