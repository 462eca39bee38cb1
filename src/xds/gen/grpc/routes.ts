/**
 * RDS for proxyless gRPC: one RouteConfiguration per service port, named `<fqdn>:<port>`, with one virtual host
 * whose domains are every authority a client in the node's namespace may dial (FQDN and short forms), and the
 * routes of the VirtualService for that host (or a default route when there is none). Pure.
 */
import type { Config, Service, ServicePort, Snapshot } from '../../../model/types.js';
import type { Proxy } from '../../../model/proxy.js';
import type { NamedResource } from '../index.js';
import { asArray, asObject, asString } from '../../../model/selectors.js';
import { configVisible, hostCandidates, hostIndex, proxyLabels, visibleService, visibleServices, vsHosts } from '../context.js';
import { domainsFor, routeName, splitHostPort } from './names.js';
import { defaultRoute, translateRule, type RouteContext } from './http-route.js';
import { proxyVirtualServices } from '../routes.js';
import { routableVirtualServices } from '../delegation.js';

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
    if (!appliesToMesh(vs) || !configVisible(vs, proxyNamespace) || asArray(vs.spec?.http).length === 0 || (inScope && !inScope.includes(vs))) continue;
    const rank = (exact ? 0 : 3) + (vs.namespace === proxyNamespace ? 0 : vs.namespace === svc.namespace ? 1 : 2);
    if (rank < bestRank || (rank === bestRank && at < bestAt)) {
      best = vs;
      bestRank = rank;
      bestAt = at;
    }
  }
  return best;
}

/** The RouteConfiguration of one service port as this node sees it. */
export function buildRouteConfig(snap: Snapshot, proxy: Proxy, svc: Service, port: ServicePort): Obj {
  const ctx: RouteContext = { snap, proxy, labels: proxyLabels(snap, proxy), service: svc, port };
  const vs = virtualServiceFor(snap, proxy.namespace, svc, snap.sidecars.length > 0 ? proxyVirtualServices(snap, proxy) : undefined);
  const routes: Obj[] = [];
  if (vs) {
    asArray(vs.spec?.http).forEach((r, i) => {
      const rule = asObject(r);
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
    for (const svc of visibleServices(snap, proxy)) for (const p of svc.ports) out.push({ name: routeName(svc, p), resource: buildRouteConfig(snap, proxy, svc, p) });
    return out;
  }
  for (const name of new Set(names)) {
    const hp = splitHostPort(name);
    const svc = hp && visibleService(snap, proxy, hp.host);
    const port = svc?.ports.find((p) => p.port === hp?.port);
    if (!svc || !port) continue;
    out.push({ name, resource: buildRouteConfig(snap, proxy, svc, port) });
  }
  return out;
}
