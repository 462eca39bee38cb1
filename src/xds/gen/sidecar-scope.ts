/**
 * The Sidecar resource's egress scope, as istiod applies it to a proxy. The Sidecar that applies is, in order:
 * one in the proxy's namespace whose workloadSelector matches the proxy's labels, the one without a selector
 * in the proxy's namespace, the one without a selector in a root namespace (the mesh config's rootNamespace, else
 * istio-system, then mizzen-system: model/root-namespaces.ts);
 * the oldest first when several compete. Its `egress[].hosts` ("namespace/dnsName") are the services and
 * VirtualServices the proxy sees, among those exported to its namespace:
 *   - namespace: a name, "." (the proxy's own), "*" (any); a leading "~" excludes instead of importing;
 *   - dnsName: an FQDN, a wildcard ("*.example.com", "*"); it matches a service host it overlaps.
 * A Sidecar without egress imports everything ("*\/*"). An egress listener with a port imports only that port
 * of its services. Traffic to unknown destinations (unknownDestinations) is passed through, or with
 * `outboundTrafficPolicy.mode: REGISTRY_ONLY` (the Sidecar's, else the mesh config's) sent to the BlackHoleCluster,
 * or with ALLOW_ANY and an `egressProxy` sent to that proxy's cluster, or with the mesh config's ALLOW_ANY_DYNAMIC_DNS
 * passed through, its plaintext HTTP by the dynamic forward proxy. Its `ingress` listeners,
 * when it has any, are the proxy's inbound ports (sidecarIngress). Pure.
 */
import type { Config, MeshSettings, Protocol, Service, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { asArray, asObject, asPort, matchesLabels } from '../../model/selectors.js';
import { parseProtocol } from '../../model/protocol.js';
import { rootNamespacesOf } from '../../model/root-namespaces.js';
import { compareConfigs } from '../../model/snapshot.js';
import { type Json, BLACKHOLE, PASSTHROUGH, outboundClusterName } from './common.js';
import { isObject } from '../../core/object.js';

/** One `namespace/dnsName` of an egress listener, read. */
interface EgressHost {
  namespace: string;
  host: string;
  exclude: boolean;
}

interface EgressListener {
  hosts: EgressHost[];
  port?: number;
}

/** The Sidecar that applies to a proxy with these labels in `namespace` (`roots`: the root namespaces), if any. */
export function sidecarFor(sidecars: readonly Config[], namespace: string, labels: Readonly<Record<string, string>>, roots: readonly string[]): Config | undefined {
  const own = sidecars.filter((s) => s.namespace === namespace).sort(compareConfigs);
  const selector = (s: Config) => asObject(asObject(s.spec?.workloadSelector).labels) as Record<string, string>;
  const selected = own.find((s) => Object.keys(selector(s)).length > 0 && matchesLabels(labels, selector(s)));
  if (selected) return selected;
  const plain = own.find((s) => Object.keys(selector(s)).length === 0);
  if (plain) return plain;
  for (const root of roots) {
    const r = sidecars.filter((s) => s.namespace === root && Object.keys(selector(s)).length === 0).sort(compareConfigs)[0];
    if (r) return r;
  }
  return undefined;
}

/** `proxyNamespace` stands for "." (also for a root namespace's Sidecar, as in istiod). */
function egressListeners(sidecar: Config, proxyNamespace: string): EgressListener[] {
  const raw = asArray(sidecar.spec?.egress).map(asObject);
  const listeners = raw.length > 0 ? raw : [{ hosts: ['*/*'] }];
  return listeners.map((l) => {
    const hosts: EgressHost[] = [];
    for (const h of asArray(l.hosts)) {
      if (typeof h !== 'string' || h.split('/').length !== 2) continue; // validation rejects these
      let [ns, host] = h.split('/') as [string, string];
      const exclude = ns.startsWith('~');
      if (exclude) ns = ns.slice(1) || '*';
      if (ns === '.') ns = proxyNamespace;
      hosts.push({ namespace: ns, host: host.toLowerCase(), exclude });
    }
    return { hosts, port: asPort(asObject(l.port).number) };
  });
}

/** Whether two host names overlap: equal, or one a wildcard ("*", "*.suffix") that covers the other. */
export function hostsOverlap(a: string, b: string): boolean {
  if (a === b || a === '*' || b === '*') return true;
  // context.ts's hostMatches, both ways, except that only "*." counts as a wildcard prefix here.
  const covers = (w: string, h: string) => w.startsWith('*.') && h.endsWith(w.slice(1));
  return covers(a, b) || covers(b, a);
}

const matches = (hosts: readonly EgressHost[], namespace: string, host: string, exclude: boolean): boolean =>
  hosts.some((h) => h.exclude === exclude && (h.namespace === '*' || h.namespace === namespace) && hostsOverlap(h.host, host));

/**
 * The services a proxy governed by `sidecar` sees, from those exported to its namespace: in no listener's
 * exclusions and in some listener's imports, with only the listener's port when it names one. When two
 * namespaces offer one hostname, the proxy's own namespace wins, else the first.
 */
export function scopeServices(sidecar: Config, proxyNamespace: string, exported: readonly Service[]): Service[] {
  const listeners = egressListeners(sidecar, proxyNamespace);
  const out: Service[] = [];
  for (const svc of exported) {
    const host = svc.hostname.toLowerCase();
    let ports: Service['ports'] | undefined;
    for (const l of listeners) {
      if (matches(l.hosts, svc.namespace, host, true) || !matches(l.hosts, svc.namespace, host, false)) continue;
      const add = l.port === undefined ? svc.ports : svc.ports.filter((p) => p.port === l.port);
      ports = ports ? [...ports, ...add.filter((p) => !ports!.includes(p))] : add;
    }
    if (!ports || ports.length === 0) continue;
    out.push(ports.length === svc.ports.length ? svc : { ...svc, ports });
  }
  const chosen = new Map<string, string>();
  for (const s of out) if (!chosen.has(s.hostname) || s.namespace === proxyNamespace) chosen.set(s.hostname, s.namespace);
  return out.filter((s) => chosen.get(s.hostname) === s.namespace);
}

/** The VirtualServices a proxy governed by `sidecar` sees: some host of theirs imported from their namespace. */
export function scopeVirtualServices(sidecar: Config, proxyNamespace: string, vss: readonly Config[], resolve: (host: string, namespace: string) => string): Config[] {
  const listeners = egressListeners(sidecar, proxyNamespace);
  return vss.filter((vs) =>
    asArray(vs.spec?.hosts).some((h) => {
      if (typeof h !== 'string') return false;
      const host = resolve(h, vs.namespace).toLowerCase();
      return listeners.some((l) => !matches(l.hosts, vs.namespace, host, true) && matches(l.hosts, vs.namespace, host, false));
    }),
  );
}

/** Where a sidecar sends traffic for destinations outside the registry (unknownDestinations). */
export interface UnknownDestinations {
  /** REGISTRY_ONLY: refused (`cluster` is the BlackHoleCluster). */
  blocked: boolean;
  /** Where TCP goes, and HTTP unless `dynamicDns`. */
  cluster: string;
  /** ALLOW_ANY_DYNAMIC_DNS: plaintext HTTP goes through the dynamic forward proxy instead (allow-any-dns.ts). */
  dynamicDns: boolean;
}

/**
 * Where traffic to destinations outside the registry goes, as istiod decides it: the Sidecar's outboundTrafficPolicy
 * when it has one (its mode unset is REGISTRY_ONLY, the API's zero value), else the mesh config's. REGISTRY_ONLY:
 * the BlackHoleCluster (`blocked`); ALLOW_ANY: the PassthroughCluster, or the cluster of the Sidecar's
 * `egressProxy` (host, subset and port as written, as istiod names it); the mesh config's ALLOW_ANY_DYNAMIC_DNS (a
 * Sidecar cannot say it): the PassthroughCluster, plaintext HTTP aside (`dynamicDns`).
 */
export function unknownDestinations(sidecar: Config | undefined, mesh: Pick<MeshSettings, 'registryOnly' | 'allowAnyDynamicDns'>): UnknownDestinations {
  const policy = sidecar?.spec?.outboundTrafficPolicy;
  if (!isObject(policy)) {
    if (mesh.registryOnly) return { blocked: true, cluster: BLACKHOLE, dynamicDns: false };
    return { blocked: false, cluster: PASSTHROUGH, dynamicDns: mesh.allowAnyDynamicDns !== undefined };
  }
  if (asObject(policy).mode !== 'ALLOW_ANY') return { blocked: true, cluster: BLACKHOLE, dynamicDns: false };
  const proxy = asObject(asObject(policy).egressProxy);
  const host = typeof proxy.host === 'string' ? proxy.host : '';
  if (host === '') return { blocked: false, cluster: PASSTHROUGH, dynamicDns: false };
  return { blocked: false, cluster: outboundClusterName(asPort(asObject(proxy.port).number) ?? 0, typeof proxy.subset === 'string' ? proxy.subset : '', host), dynamicDns: false };
}

const chosen = new WeakMap<Proxy, { sidecars: readonly Config[]; workloads: Snapshot['workloads']; roots: readonly string[]; sidecar: Config | undefined }>();

/**
 * The Sidecar for a proxy in a snapshot; `labels` (the proxy's, or its workload's) is called only when there are
 * Sidecars. Remembered per proxy while the snapshot's Sidecars, workloads and root namespaces stay the same: every
 * service lookup of a push asks.
 */
export function proxySidecar(snap: Snapshot, proxy: Proxy, labels: () => Readonly<Record<string, string>>): Config | undefined {
  if (snap.sidecars.length === 0) return undefined;
  const roots = rootNamespacesOf(snap.mesh);
  const known = chosen.get(proxy);
  if (known && known.sidecars === snap.sidecars && known.workloads === snap.workloads && known.roots === roots) return known.sidecar;
  const sidecar = sidecarFor(snap.sidecars, proxy.namespace, labels(), roots);
  chosen.set(proxy, { sidecars: snap.sidecars, workloads: snap.workloads, roots, sidecar });
  return sidecar;
}

/**
 * Where a Sidecar ingress listener sends what it receives (`defaultEndpoint`): an address on the loopback, the
 * workload's own address on another port (`0.0.0.0:<port>`, `[::]:<port>` or `:<port>`: the original destination
 * with that port), or a Unix socket. Undefined: the original destination as it came.
 */
export type IngressEndpoint = { address: string; port: number } | { portOverride: number } | { pipe: string };

export function ingressEndpoint(defaultEndpoint: unknown): IngressEndpoint | undefined {
  if (typeof defaultEndpoint !== 'string' || defaultEndpoint === '') return undefined;
  if (defaultEndpoint.startsWith('unix://')) return defaultEndpoint.length > 7 ? { pipe: defaultEndpoint.slice(7) } : undefined;
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(defaultEndpoint);
  const port = Number(m?.[3]);
  if (!m || !(port >= 1 && port <= 65535)) return undefined;
  const host = m[1] ?? m[2] ?? '';
  if (host === '127.0.0.1' || host === '::1') return { address: host, port };
  return host === '' || host === '0.0.0.0' || host === '::' ? { portOverride: port } : undefined;
}

export interface IngressPort {
  port: number;
  protocol: Protocol;
  /** A Sidecar ingress listener's port name (stat names read it: stat-names.ts). */
  name?: string;
  endpoint?: IngressEndpoint;
}

/**
 * The connection pool a proxy's Sidecar sets for an inbound (workload) port: its ingress listener's for the port,
 * else `inboundConnectionPool`; undefined when neither is set (the DestinationRule's then applies), as in Istio.
 */
export function sidecarInboundPool(sidecar: Config | undefined, port: number): Json | undefined {
  for (const raw of asArray(sidecar?.spec?.ingress)) {
    const l = asObject(raw);
    if (asPort(asObject(l.port).number) === port && isObject(l.connectionPool)) return l.connectionPool;
  }
  const pool = sidecar?.spec?.inboundConnectionPool;
  return isObject(pool) ? pool : undefined;
}

/**
 * The inbound ports a proxy's Sidecar declares (`ingress`), in its order; undefined when its Sidecar has none,
 * and the services that select the workload decide, as in Istio. The first listener wins a port.
 */
export function sidecarIngress(sidecar: Config | undefined): IngressPort[] | undefined {
  const listeners = asArray(sidecar?.spec?.ingress).map(asObject);
  if (listeners.length === 0) return undefined;
  const out = new Map<number, IngressPort>();
  for (const l of listeners) {
    const port = asPort(asObject(l.port).number);
    if (port === undefined || out.has(port)) continue;
    const endpoint = ingressEndpoint(l.defaultEndpoint);
    const { protocol: word, name } = asObject(l.port);
    out.set(port, { port, protocol: parseProtocol(typeof word === 'string' ? word : undefined), ...(typeof name === 'string' && name ? { name } : {}), ...(endpoint ? { endpoint } : {}) });
  }
  return [...out.values()];
}
