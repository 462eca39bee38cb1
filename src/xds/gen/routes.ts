/**
 * RDS for sidecars: one RouteConfiguration per outbound HTTP port, named `<port>`, with a virtual host per
 * service (`<fqdn>:<port>`, domains in every short form a client may dial, cluster IPs too), the routes of the
 * VirtualService that applies to it (oldest first wins a host, exact hosts before wildcards) or Istio's default
 * route, and the `allow_any` virtual host sending unknown hosts to PassthroughCluster (`block_all`, a 502, when the
 * proxy's Sidecar resource allows only registry destinations; `allow_any_dynamic_dns` under the mesh's
 * ALLOW_ANY_DYNAMIC_DNS, allow-any-dns.ts).
 */
import type { Config, Service, ServicePort, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { isHttpProtocol } from '../../model/protocol.js';
import { asArray } from '../../model/selectors.js';
import type { NamedResource } from './types.js';
import { type Json, byString, outboundClusterName } from './common.js';
import { configVisible, destinationRuleFor, hostCandidates, hostIndex, memoOn, proxyLabels, resolveHost, visibleServices, vsHosts } from './context.js';
import { type UnknownDestinations, proxySidecar, unknownDestinations, scopeVirtualServices } from './sidecar-scope.js';
import { routableVirtualServices } from './delegation.js';
import { type RouteContext, defaultRoute, routeTimeouts, translateHttpRule } from './httproute.js';
import { hashPolicy, serviceConsistentHash } from './policy.js';
import { allowAnyDnsVirtualHost } from './allow-any-dns.js';
import { appendsForwardedHost } from './proxy-headers.js';

const meshMemo = new WeakMap<readonly Config[], Map<string, readonly Config[]>>();

/** VirtualServices that apply to sidecars (gateways empty or containing `mesh`) and are visible to the namespace. */
export function meshVirtualServices(snap: Snapshot, namespace: string): readonly Config[] {
  const vss = routableVirtualServices(snap);
  return memoOn(meshMemo, vss, namespace, () =>
    vss.filter((vs) => {
      const gws = asArray(vs.spec?.gateways);
      return configVisible(vs, namespace, snap.mesh.defaultExportTo?.virtualServices) && (gws.length === 0 || gws.includes('mesh'));
    }),
  );
}

const scopedMemo = new WeakMap<Config, WeakMap<readonly Config[], Map<string, readonly Config[]>>>();

/** meshVirtualServices within the egress scope of the proxy's Sidecar resource (sidecar-scope.ts). */
export function proxyVirtualServices(snap: Snapshot, proxy: Proxy): readonly Config[] {
  const all = meshVirtualServices(snap, proxy.namespace);
  const sidecar = proxySidecar(snap, proxy, () => proxyLabels(snap, proxy));
  if (!sidecar) return all;
  // Keyed on the Sidecar object (a changed one is a new object) and the list (one per snapshot and namespace).
  let bySidecar = scopedMemo.get(sidecar);
  if (!bySidecar) scopedMemo.set(sidecar, (bySidecar = new WeakMap()));
  return memoOn(bySidecar, all, proxy.namespace, () => scopeVirtualServices(sidecar, proxy.namespace, all, (h, ns) => resolveHost(h, ns, snap.domainSuffix)));
}

/** The VirtualService for a host among `candidates`: exact host match first, then the oldest wildcard (indexed per list). */
export function virtualServiceFor(snap: Snapshot, candidates: readonly Config[], hostname: string): Config | undefined {
  const found = hostCandidates(hostIndex(candidates, 'vs', snap.domainSuffix, vsHosts), hostname);
  return (found.find((c) => c.exact) ?? found[0])?.config;
}

const domainMemo = new WeakMap<Service, Map<string, readonly string[]>>();

/**
 * Every name a client in `namespace` may use for the service on `port`. Memoized on the service object (the
 * namespace matters only as "the service's own or not"): a shared array, never to be modified.
 */
export function serviceDomains(svc: Service, port: number, namespace: string, domainSuffix: string): readonly string[] {
  const suffix = `.svc.${domainSuffix}`;
  const kube = svc.source === 'kubernetes' && svc.hostname.endsWith(suffix);
  const [name, ns] = kube ? svc.hostname.slice(0, -suffix.length).split('.') : [];
  const own = kube && ns === namespace;
  return memoOn(domainMemo, svc, `${port}\n${domainSuffix}\n${own}`, () => {
    const names = [svc.hostname];
    if (kube) {
      if (own) names.push(name!);
      names.push(`${name}.${ns}`, `${name}.${ns}.svc`);
      const labels = domainSuffix.split('.');
      for (let i = 1; i < labels.length; i++) names.push(`${name}.${ns}.svc.${labels.slice(0, i).join('.')}`);
    }
    const out: string[] = [];
    for (const n of names) out.push(n, `${n}:${port}`);
    for (const ip of svc.addresses) if (!ip.includes('/')) out.push(ip, ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
    return out;
  });
}

/** Outbound HTTP ports of the proxy's visible services, sorted. */
export function httpPorts(services: readonly Service[]): number[] {
  const ports = new Set<number>();
  for (const s of services) for (const p of s.ports) if (isHttpProtocol(p.protocol)) ports.add(p.port);
  return [...ports].sort((a, b) => a - b);
}

/** Routes for a service's virtual host on `port`: from its VirtualService, or the default route. */
export function serviceRoutes(ctx: RouteContext, vs: Config | undefined, svc: Service, port: number): Json[] {
  const routes: Json[] = [];
  if (vs) {
    asArray(vs.spec?.http).forEach((rule, i) => {
      try {
        routes.push(...translateHttpRule(ctx, vs, rule, i));
      } catch {
        // A rule we cannot translate is left out; the rest of the VirtualService still applies.
      }
    });
  }
  if (routes.length > 0) return routes;
  const hp = hashPolicy(serviceConsistentHash(destinationRuleFor(ctx.snap, ctx.proxyNamespace, svc, ctx.proxyLabels), port));
  return [defaultRoute(outboundClusterName(port, '', svc.hostname), hp, ctx.snap.mesh.httpRetries)];
}

const virtualHost = (svc: Service, port: number, domains: readonly string[], routes: Json[]): Json => ({ name: `${svc.hostname}:${port}`, domains, routes, include_request_attempt_count: true });

/**
 * Virtual hosts with Istio's default route (services without a VirtualService), memoized on the (shared) domain
 * list of the service and port: such a host is a function of the service, the port, its domains (which differ by
 * the proxy's namespace) and the DestinationRule in effect (hash policy). Proxy scopes, and the next snapshot when
 * it kept the service, get the same object back, so the encoder finds it by identity instead of serializing it
 * again. Shared: never modified.
 */
const defaultHosts = new WeakMap<readonly string[], { dr: Config | undefined; vh: Json }>();
function defaultVirtualHost(ctx: RouteContext, svc: Service, port: number, domains: readonly string[]): Json {
  const dr = destinationRuleFor(ctx.snap, ctx.proxyNamespace, svc, ctx.proxyLabels);
  const hit = defaultHosts.get(domains);
  if (hit && hit.dr === dr) return hit.vh;
  const vh = virtualHost(svc, port, domains, serviceRoutes(ctx, undefined, svc, port));
  defaultHosts.set(domains, { dr, vh });
  return vh;
}

export function sidecarRouteConfig(snap: Snapshot, proxy: Proxy, port: number, services: readonly Service[], vss: readonly Config[]): Json {
  const ctx: RouteContext = { snap, proxyNamespace: proxy.namespace, proxyLabels: proxyLabels(snap, proxy), port, gateways: new Set(['mesh']), forwardedHost: appendsForwardedHost(snap, proxy) };
  const used = new Set<string>();
  const virtualHosts: Json[] = [];
  for (const svc of services) {
    const sp = svc.ports.find((p) => p.port === port);
    if (!sp || !isHttpProtocol(sp.protocol)) continue;
    const all = serviceDomains(svc, port, proxy.namespace, snap.domainSuffix);
    // A name an earlier service took stays with it (a new list then, not shared).
    const domains = all.some((d) => used.has(d)) ? all.filter((d) => !used.has(d)) : all;
    if (domains.length === 0) continue;
    for (const d of domains) used.add(d);
    const vs = virtualServiceFor(snap, vss, svc.hostname);
    virtualHosts.push(vs ? virtualHost(svc, port, domains, serviceRoutes(ctx, vs, svc, port)) : defaultVirtualHost(ctx, svc, port, domains));
  }
  virtualHosts.sort((a, b) => byString(a.name, b.name));
  // Unknown hosts: passed through (or to the Sidecar's egressProxy), or refused when the proxy's Sidecar allows only
  // the registry, or through the dynamic forward proxy under the mesh's ALLOW_ANY_DYNAMIC_DNS (as istiod).
  virtualHosts.push(catchAllHost(unknownDestinations(proxySidecar(snap, proxy, () => ctx.proxyLabels), snap.mesh)));
  return { name: String(port), virtual_hosts: virtualHosts, validate_clusters: { value: false } };
}

/** The last virtual host of a port's route configuration, for every host no service claims. */
function catchAllHost(unknown: UnknownDestinations): Json {
  if (unknown.dynamicDns) return allowAnyDnsVirtualHost();
  if (unknown.blocked) {
    return { name: 'block_all', domains: ['*'], routes: [{ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }], include_request_attempt_count: true };
  }
  return {
    name: 'allow_any',
    domains: ['*'],
    routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: unknown.cluster, ...routeTimeouts(undefined) } }],
    include_request_attempt_count: true,
  };
}

/** The route configuration of a sniffed service port's own listener (listeners.ts), Istio's name for it. */
export const sniffedRouteName = (hostname: string, port: number): string => `${hostname}:${port}`;

/** Whether a service port is sniffed behind a listener of its own: no protocol said, and a VIP (not a CIDR) to listen on. */
export const isSniffedWithVip = (svc: Service, port: ServicePort): boolean =>
  port.protocol === 'UNSUPPORTED' && svc.addresses.length > 0 && svc.addresses.every((a) => !a.includes('/'));

/**
 * The route configuration behind a sniffed port's listener: that service's virtual host alone, for every Host
 * (the connection was to its address), as istiod builds it.
 */
function sniffedRouteConfig(snap: Snapshot, proxy: Proxy, svc: Service, port: number, vss: readonly Config[]): Json {
  const ctx: RouteContext = { snap, proxyNamespace: proxy.namespace, proxyLabels: proxyLabels(snap, proxy), port, gateways: new Set(['mesh']), forwardedHost: appendsForwardedHost(snap, proxy) };
  const vs = virtualServiceFor(snap, vss, svc.hostname);
  const name = sniffedRouteName(svc.hostname, port);
  return { name, virtual_hosts: [virtualHost(svc, port, ['*'], serviceRoutes(ctx, vs, svc, port))], validate_clusters: { value: false } };
}

export function generateSidecarRoutes(snap: Snapshot, proxy: Proxy): NamedResource[] {
  const services = visibleServices(snap, proxy);
  const vss = proxyVirtualServices(snap, proxy);
  const out = httpPorts(services).map((port) => {
    const rc = sidecarRouteConfig(snap, proxy, port, services, vss);
    return { name: rc.name as string, resource: rc };
  });
  for (const svc of services) {
    for (const sp of svc.ports) {
      if (!isSniffedWithVip(svc, sp)) continue;
      const rc = sniffedRouteConfig(snap, proxy, svc, sp.port, vss);
      out.push({ name: rc.name, resource: rc });
    }
  }
  return out;
}
