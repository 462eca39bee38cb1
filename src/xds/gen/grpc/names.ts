/**
 * Names a proxyless gRPC client asks for, and how they map onto the registry:
 * - listeners: the dial target `host:port` (`xds:///reviews:9080` asks for `reviews:9080`), the host in any of
 *   Istio's short forms resolved in the node's namespace; xDS-enabled servers ask for
 *   `xds.istio.io/grpc/lds/inbound/<ip>:<port>` (the bootstrap's server_listener_resource_name_template);
 * - routes: one RouteConfiguration per service port, named `<fqdn>:<port>`;
 * - clusters and endpoints: Istio's `outbound|<port>|<subset>|<fqdn>` (one per DR subset), EDS name = cluster name.
 * A DYNAMIC_DNS ServiceEntry host is none of these: gRPC has no dynamic forward proxy to resolve the names it
 * stands for (an Envoy sidecar has, dynamic-dns.ts), so its client finds no such resource (validation warns on gRPC
 * ports of such hosts). Pure.
 */
import type { Service, ServicePort, Snapshot } from '../../../model/types.js';
import type { Proxy } from '../../../model/proxy.js';
import { GrpcXds } from '../../../core/constants.js';
import { visibleService, visibleServices } from '../context.js';
import { isDynamicDns } from '../dynamic-dns.js';

const servedMemo = new WeakMap<readonly Service[], readonly Service[]>();

/** The services a proxyless gRPC client is served (shared list: do not modify): what it sees, less DYNAMIC_DNS hosts. */
export function servedServices(snap: Snapshot, proxy: Proxy): readonly Service[] {
  const all = visibleServices(snap, proxy);
  let served = servedMemo.get(all);
  if (!served) servedMemo.set(all, (served = all.some(isDynamicDns) ? all.filter((s) => !isDynamicDns(s)) : all));
  return served;
}

/** The service of this hostname as a proxyless gRPC client is served it (never a DYNAMIC_DNS host). */
export function servedService(snap: Snapshot, proxy: Proxy, hostname: string): Service | undefined {
  const svc = visibleService(snap, proxy, hostname);
  return isDynamicDns(svc) ? undefined : svc;
}

export interface ClusterKey {
  port: number;
  subset: string;
  host: string;
}

export const clusterName = (port: number, subset: string, host: string): string => `outbound|${port}|${subset}|${host}`;

export function parseClusterName(name: string): ClusterKey | undefined {
  const parts = name.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound') return undefined;
  const port = Number(parts[1]);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || !parts[3]) return undefined;
  return { port, subset: parts[2]!, host: parts[3] };
}

export const routeName = (svc: Service, port: ServicePort): string => `${svc.hostname}:${port.port}`;

/** `host:port` → parts; `[v6]:port` understood; no port → port undefined. */
export function splitHostPort(s: string): { host: string; port?: number } | undefined {
  if (s === '') return undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1]!, ...(v6[2] ? { port: Number(v6[2]) } : {}) };
  const colon = s.lastIndexOf(':');
  if (colon < 0) return { host: s };
  if (s.indexOf(':') !== colon) return { host: s }; // a bare IPv6 address
  const port = s.slice(colon + 1);
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) return undefined;
  return { host: s.slice(0, colon), port: Number(port) };
}

/** A service host as written by a client, in the node's namespace: `reviews`, `reviews.default`, `reviews.default.svc`, the FQDN, or a ServiceEntry host. */
export function lookupService(snap: Snapshot, proxy: Proxy, host: string): Service | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  const dots = h.split('.').length - 1;
  const candidates = [h];
  if (dots === 0) candidates.push(`${h}.${proxy.namespace}.svc.${snap.domainSuffix}`);
  if (dots === 1) candidates.push(`${h}.svc.${snap.domainSuffix}`);
  if (h.endsWith('.svc')) candidates.push(`${h}.${snap.domainSuffix}`);
  for (const c of candidates) {
    const svc = servedService(snap, proxy, c);
    if (svc) return svc;
  }
  return undefined;
}

export interface OutboundTarget {
  service: Service;
  port: ServicePort;
}

/** The service port a client listener name designates; without a port, the service's only port. */
export function resolveOutbound(snap: Snapshot, proxy: Proxy, listenerName: string): OutboundTarget | undefined {
  const hp = splitHostPort(listenerName);
  if (!hp) return undefined;
  const service = lookupService(snap, proxy, hp.host);
  if (!service) return undefined;
  const port = hp.port === undefined ? (service.ports.length === 1 ? service.ports[0] : undefined) : service.ports.find((p) => p.port === hp.port);
  return port ? { service, port } : undefined;
}

/** `xds.istio.io/grpc/lds/inbound/10.0.0.1:8080` → the address and port the server binds. */
export function parseInboundName(name: string): { address: string; port: number } | undefined {
  if (!name.startsWith(GrpcXds.serverListenerPrefix)) return undefined;
  const hp = splitHostPort(name.slice(GrpcXds.serverListenerPrefix.length));
  return hp && hp.port !== undefined && hp.host !== '' ? { address: hp.host, port: hp.port } : undefined;
}

/**
 * Authorities a client in the node's namespace may use for this service port (gRPC matches the virtual host's
 * domains against the channel's authority, the dial target): the FQDN and the short forms, with and without port.
 */
export function domainsFor(svc: Service, port: ServicePort, proxyNamespace: string, domainSuffix: string): string[] {
  const hosts = [svc.hostname];
  const kubeSuffix = `.${svc.namespace}.svc.${domainSuffix}`;
  if (svc.source === 'kubernetes' && svc.hostname.endsWith(kubeSuffix)) {
    const name = svc.hostname.slice(0, -kubeSuffix.length);
    hosts.push(`${name}.${svc.namespace}.svc`, `${name}.${svc.namespace}`);
    if (proxyNamespace === svc.namespace) hosts.push(name);
  }
  const out: string[] = [];
  for (const h of hosts) out.push(`${h}:${port.port}`);
  if (svc.ports.length === 1) out.push(...hosts);
  return [...new Set(out)];
}
