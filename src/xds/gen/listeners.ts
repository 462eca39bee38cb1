/**
 * LDS for sidecars, in Istio's layout:
 * - `virtualOutbound` 0.0.0.0:15001 (the mesh config's proxyListenPort; use_original_dst): hands each connection to the listener of its original
 *   destination, else tcp_proxy to PassthroughCluster (BlackHoleCluster when the proxy's Sidecar resource allows
 *   only registry destinations; under the mesh's ALLOW_ANY_DYNAMIC_DNS, plaintext HTTP first to the dynamic forward
 *   proxy, allow-any-dns.ts, whose filter every outbound connection manager then carries too);
 * - `0.0.0.0_<port>` (bind_to_port false) per outbound HTTP port, HCM with RDS `<port>` (and the dynamic forward
 *   proxy filters of the port's DYNAMIC_DNS hosts, dynamic-dns.ts);
 * - `<clusterIP>_<port>` per TCP service port with a VIP (tcp_proxy to its cluster, or the VirtualService's
 *   tcp routes); VIP-less TCP services share `0.0.0.0_<port>` (TLS ones told apart by SNI; one that goes to a
 *   DYNAMIC_DNS host resolves the SNI first); none on the ports of the sidecar's own listeners (capture-ports.ts);
 * - a port whose protocol the service leaves unsaid (no known name prefix, no appProtocol) is sniffed, as in
 *   Istio: `<clusterIP>_<port>` with the HTTP inspector, a connection manager (RDS `<host>:<port>`) for what it
 *   finds to be plaintext HTTP and tcp_proxy for the rest; inbound, two chains on the port likewise. VIP-less
 *   services keep TCP;
 * - `virtualInbound` 0.0.0.0:15006 (proxyInboundListenPort) with the original_dst listener filter: one filter chain per inbound port
 *   (HTTP → HCM routing to `inbound|<port>||`, TCP → tcp_proxy), a blackhole for 15006 itself and a passthrough
 *   chain for every other port; the AuthorizationPolicies of the workload as RBAC filters on each (authz.ts).
 * The WasmPlugins a chain's direction and port select go on it (wasm.ts): HTTP ones in its connection manager,
 * NETWORK ones before its tcp_proxy or connection manager (not on the catch-alls of virtualOutbound and 15006's
 * blackhole, as in Istio).
 */
import type { Config, MeshSettings, Service, ServicePort, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { isHttpProtocol } from '../../model/protocol.js';
import { asArray, asObject, matchesLabels } from '../../model/selectors.js';
import { inboundCapturePort, isReservedPort, outboundCapturePort } from './capture-ports.js';
import type { NamedResource } from './types.js';
import { type Json, BLACKHOLE, INBOUND_PASSTHROUGH, ZERO_DURATION, inboundClusterName, listenerName, outboundClusterName, socketAddress } from './common.js';
import { TCP_PROXY_FILTER, detectionTimeout, httpConnectionManager, httpInspectorFilter, originalDstFilter, sniffedHttpMatch, tcpProxy, tlsInspectorFilter } from './filters.js';
import { inboundPorts, servicesByWorkloadPort } from './clusters.js';
import { destinationCluster, inboundRetryPolicy, matchesPortAndGateways, type RouteContext } from './httproute.js';
import { httpPorts, isSniffedWithVip, proxyVirtualServices, sniffedRouteName, virtualServiceFor } from './routes.js';
import { type IngressPort, type UnknownDestinations, proxySidecar, sidecarIngress, unknownDestinations } from './sidecar-scope.js';
import { inboundAuthz } from './authz.js';
import { inboundJwt } from './jwt.js';
import { type WasmPhases, networkPhased, phased, wasmFilters, wasmNetworkFilters } from './wasm.js';
import { destinationRuleForCluster, hostMatches, proxyLabels, visibleServices } from './context.js';
import { tcpProxyTimeouts } from './policy.js';
import { portDfpFilters, sniDfpFilters } from './dynamic-dns.js';
import { allowAnyDnsChain, allowAnyDnsFilter } from './allow-any-dns.js';
import { downstreamMtls, inboundChains, serverCerts } from './mtls.js';
import { mtlsMode } from './peer-auth.js';
import { outboundTcpStat, hostVariables, statName } from './stat-names.js';

/**
 * The tcp_proxy target of a TCP service port: the first applicable VirtualService rule, else its own cluster. On a
 * TLS or HTTPS port the `tls` rules whose sniHosts name the service come first (how the mesh sends traffic for an
 * external host to an egress gateway), then the `tcp` rules, as istiod orders the chains.
 */
export function tcpTarget(ctx: RouteContext, vs: Config | undefined, svc: Service, sp: ServicePort): Array<{ name: string; weight: number }> {
  return tcpRoute(ctx, vs, svc, sp) ?? [{ name: outboundClusterName(sp.port, '', svc.hostname), weight: 1 }];
}

/** tcpTarget's VirtualService part: the destinations of the first applicable rule, undefined when none applies. */
function tcpRoute(ctx: RouteContext, vs: Config | undefined, svc: Service, sp: ServicePort): Array<{ name: string; weight: number }> | undefined {
  if (!vs) return undefined;
  const tls = sp.protocol === 'TLS' || sp.protocol === 'HTTPS' ? asArray(vs.spec?.tls).map((r) => ({ rule: asObject(r), sni: true })) : [];
  for (const { rule, sni } of [...tls, ...asArray(vs.spec?.tcp).map((r) => ({ rule: asObject(r), sni: false }))]) {
    const matches = asArray(rule.match).map(asObject);
    const applies =
      (matches.length === 0 && !sni) ||
      matches.some((m) => {
        const snis = asArray(m.sniHosts).filter((h): h is string => typeof h === 'string');
        return (
          (!sni || snis.some((h) => hostMatches(h, svc.hostname) || hostMatches(svc.hostname, h))) &&
          matchesPortAndGateways(m, sp.port, ctx.gateways) &&
          matchesLabels(ctx.proxyLabels, asObject(m.sourceLabels) as Record<string, string>) &&
          (typeof m.sourceNamespace !== 'string' || !m.sourceNamespace || m.sourceNamespace === ctx.proxyNamespace)
        );
      });
    if (!applies) continue;
    const dests: Array<{ name: string; weight: number }> = [];
    for (const d of asArray(rule.route).map(asObject)) {
      const name = destinationCluster({ ...ctx, port: sp.port }, vs.namespace, d.destination);
      const w = typeof d.weight === 'number' && Number.isInteger(d.weight) && d.weight >= 0 ? d.weight : undefined;
      if (name) dests.push({ name, weight: w ?? 1 });
    }
    const positive = dests.filter((d) => d.weight > 0);
    if (positive.length > 0) return positive;
  }
  return undefined;
}

/**
 * The catch-all for destinations outside the registry (unknownDestinations): blocked, passed through, or to an egress
 * proxy; under ALLOW_ANY_DYNAMIC_DNS, plaintext HTTP (found by the HTTP inspector, which waits for the client's first
 * bytes as protocol sniffing does) through the dynamic forward proxy first (allow-any-dns.ts).
 */
function virtualOutbound(unknown: UnknownDestinations, mesh: MeshSettings): Json {
  const catchAll = { name: unknown.blocked ? 'virtualOutbound-blackhole' : 'virtualOutbound-catchall-tcp', filters: [tcpProxy(unknown.cluster, unknown.cluster)] };
  return {
    name: 'virtualOutbound',
    address: socketAddress('0.0.0.0', outboundCapturePort(mesh)),
    use_original_dst: { value: true },
    traffic_direction: 'OUTBOUND',
    ...(unknown.dynamicDns ? { listener_filters: [httpInspectorFilter()], ...detectionTimeout(mesh.protocolDetectionMs) } : {}),
    filter_chains: unknown.dynamicDns ? [allowAnyDnsChain(mesh), catchAll] : [catchAll],
  };
}

const outboundListener = (address: string, port: number, filterChains: Json[], listenerFilters?: Json[], extra: Json = {}): Json => ({
  name: listenerName(address, port),
  address: socketAddress(address, port),
  bind_to_port: { value: false },
  traffic_direction: 'OUTBOUND',
  ...(listenerFilters ? { listener_filters: listenerFilters } : {}),
  ...extra,
  filter_chains: filterChains,
});

function cidr(addr: string): Json | undefined {
  const [ip, len] = addr.split('/');
  const n = Number(len);
  return ip && Number.isInteger(n) && n >= 0 && n <= 128 ? { address_prefix: ip, prefix_len: { value: n } } : undefined;
}

/** `dynamicDns`: every connection manager takes the ALLOW_ANY_DYNAMIC_DNS filter (allow-any-dns.ts). */
function outboundListeners(snap: Snapshot, proxy: Proxy, dynamicDns: boolean): Json[] {
  const services = visibleServices(snap, proxy);
  const vss = proxyVirtualServices(snap, proxy);
  const ctx: RouteContext = { snap, proxyNamespace: proxy.namespace, proxyLabels: proxyLabels(snap, proxy), gateways: new Set(['mesh']) };
  const listeners = new Map<string, Json>();
  const http = new Set(httpPorts(services));
  // WasmPlugins selecting CLIENT traffic of the port (wasm.ts): HTTP ones before the usual HTTP filters, NETWORK
  // ones before the connection manager or tcp_proxy.
  const client = (port: number): Json[] => phased([], [], [], wasmFilters(snap, proxy, 'CLIENT', port));
  const network = (port: number): Json[] => networkPhased([], [], wasmNetworkFilters(snap, proxy, 'CLIENT', port));
  const anyHost = dynamicDns ? [allowAnyDnsFilter()] : [];
  const hcm = (port: number, statPrefix: string, rds: string, dfp: readonly Json[] = []): Json[] => [
    ...network(port),
    httpConnectionManager(statPrefix, { rds }, 'outbound', client(port), [...dfp, ...anyHost], snap.mesh.pathNormalization),
  ];
  for (const port of http) {
    // The address of one of the sidecar's own listeners (capture-ports.ts): not served, as istiod skips it.
    if (isReservedPort(snap.mesh, port)) continue;
    const filters = hcm(port, `outbound_0.0.0.0_${port}`, String(port), portDfpFilters(services, port));
    listeners.set(listenerName('0.0.0.0', port), outboundListener('0.0.0.0', port, [{ filters }]));
  }
  // VIP-less TCP services per port: chains by SNI (TLS) or by CIDR address, else the first service takes the port.
  const shared = new Map<number, Json[]>();
  for (const svc of services) {
    const vs = virtualServiceFor(snap, vss, svc.hostname);
    for (const sp of svc.ports) {
      if (isHttpProtocol(sp.protocol) || sp.protocol === 'UDP') continue;
      const routed = tcpRoute(ctx, vs, svc, sp);
      const target = routed ?? [{ name: outboundClusterName(sp.port, '', svc.hostname), weight: 1 }];
      // One destination: the mesh's outboundClusterStatName names the stats when set; istiod's default route gives
      // the pattern no port name, a VirtualService's route the service port's.
      const stat = target.length === 1 ? outboundTcpStat(snap, proxy, target[0]!.name, sp.port, routed ? sp.name : '') : outboundClusterName(sp.port, '', svc.hostname);
      const timeouts = tcpProxyTimeouts(destinationRuleForCluster(snap, proxy.namespace, target[0]!.name, proxyLabels(snap, proxy)));
      const vips = svc.addresses.filter((a) => !a.includes('/'));
      const ranges = svc.addresses.map(cidr).filter((r): r is Json => !!r && svc.addresses.some((a) => a.includes('/')));
      const sniffed = isSniffedWithVip(svc, sp);
      for (const vip of vips) {
        const name = listenerName(vip, sp.port);
        if (listeners.has(name)) continue;
        const tcp = { filters: [...network(sp.port), tcpProxy(stat, target, timeouts)] };
        if (!sniffed) listeners.set(name, outboundListener(vip, sp.port, [tcp]));
        else {
          const http = { filter_chain_match: sniffedHttpMatch(), filters: hcm(sp.port, `outbound_${vip}_${sp.port}`, sniffedRouteName(svc.hostname, sp.port)) };
          listeners.set(name, outboundListener(vip, sp.port, [tcp, http], [httpInspectorFilter()], detectionTimeout(snap.mesh.protocolDetectionMs)));
        }
      }
      if (vips.length > 0 && ranges.length === 0) continue;
      if (http.has(sp.port) || isReservedPort(snap.mesh, sp.port)) continue; // HTTP owns 0.0.0.0_<port>, as in Istio.
      const chains = shared.get(sp.port) ?? [];
      const match: Json = {};
      if (ranges.length > 0) match.prefix_ranges = ranges;
      const sni = (sp.protocol === 'TLS' || sp.protocol === 'HTTPS') && svc.hostname !== '*';
      if (sni) match.server_names = [svc.hostname];
      const key = JSON.stringify(match);
      if (!chains.some((c) => JSON.stringify(c.filter_chain_match ?? {}) === key)) {
        // A DYNAMIC_DNS destination: the SNI says where to connect (the TLS inspector reads it for the match already).
        const dfp = sni ? sniDfpFilters(snap, target.map((t) => t.name), proxy.namespace) : [];
        chains.push({ ...(Object.keys(match).length ? { filter_chain_match: match } : {}), filters: [...network(sp.port), ...dfp, tcpProxy(stat, target, timeouts)] });
      }
      shared.set(sp.port, chains);
    }
  }
  for (const [port, chains] of shared) {
    const sni = chains.some((c) => c.filter_chain_match?.server_names);
    listeners.set(listenerName('0.0.0.0', port), outboundListener('0.0.0.0', port, chains, sni ? [tlsInspectorFilter()] : undefined));
  }
  return [...listeners.values()];
}

/**
 * The inbound route of an HTTP port, as istiod's BuildDefaultHTTPInboundRoute: no timeouts, and retries as the mesh
 * config's defaultInboundHttpRetryPolicy (`meshRetries`) says, by default two of a request reset before it reached
 * the application (inboundRetryPolicy). Not on gRPC ports, where that retry breaks streams.
 */
function inboundRouteConfig(port: number, protocol: ServicePort['protocol'], meshRetries: unknown): Json {
  const cluster = inboundClusterName(port);
  const grpc = protocol === 'GRPC' || protocol === 'GRPC-Web';
  const route: Json = { cluster, timeout: ZERO_DURATION, max_stream_duration: { max_stream_duration: ZERO_DURATION, grpc_timeout_header_max: ZERO_DURATION } };
  const retry = grpc ? undefined : inboundRetryPolicy(meshRetries);
  if (retry) route.retry_policy = retry;
  return {
    name: cluster,
    validate_clusters: { value: false },
    virtual_hosts: [{ name: `inbound|http|${port}`, domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, route, decorator: { operation: `${cluster}/*` } }] }],
  };
}

/** A listener filter predicate that matches connections for any of these ports (one, or an or_match of two or more). */
function anyOfPorts(ports: readonly number[]): Json {
  const ranges = ports.map((p) => ({ destination_port_range: { start: p, end: p + 1 } }));
  return ranges.length === 1 ? ranges[0]! : { or_match: { rules: ranges } };
}

/** Whether an inbound chain carries raw TCP: it ends in tcp_proxy (the others end in a connection manager). */
const carriesTcp = (c: Json): boolean => (c.filters as Json[]).at(-1)?.name === TCP_PROXY_FILTER;

/** A listener filter's filter_disabled that keeps it to connections for these ports. */
const onlyOnPorts = (ports: readonly number[]): Json => ({ not_match: anyOfPorts(ports) });

/**
 * The mTLS side of a sidecar's inbound chains when it has certificates (mtls.ts), undefined without: `chains` turns
 * a port's plaintext chains into what its PeerAuthentication mode asks for (port 0: the workload's mode, without a
 * port-level one, for ports no service declares); `inspector`, once every port is done, the TLS inspector that
 * tells mesh clients apart, kept off the ports that take no mTLS (a server-speaks-first protocol there is not held
 * up waiting for a client hello), or undefined when none takes it.
 */
function inboundMtls(snap: Snapshot, proxy: Proxy): { chains: (own: Json[], port: number) => Json[]; inspector: () => Json | undefined } | undefined {
  const certs = serverCerts(proxy);
  if (!certs) return undefined;
  const socket = downstreamMtls(certs, snap.mesh);
  const labels = proxyLabels(snap, proxy);
  const secured: number[] = [];
  const plain: number[] = [];
  let others = false;
  return {
    chains: (own, port) => {
      const mode = mtlsMode(snap, proxy.namespace, labels, port);
      if (port === 0) others = mode !== 'DISABLE';
      else (mode === 'DISABLE' ? plain : secured).push(port);
      return inboundChains(own, mode, socket, carriesTcp);
    },
    inspector: () => {
      if (others) return tlsInspectorFilter(plain.length > 0 ? { filter_disabled: anyOfPorts(plain) } : {});
      return secured.length > 0 ? tlsInspectorFilter({ filter_disabled: onlyOnPorts(secured) }) : undefined;
    },
  };
}

/**
 * The stat_prefix of an inbound port's tcp_proxy (`port` undefined: the passthrough chain's), as istiod names it
 * under the mesh's inboundClusterStatName: the first service landing on the port, with its port and port name; on
 * a Sidecar's ingress listener, the host `<sidecar>.<namespace>` and the listener's port; on the passthrough chain,
 * no host, port 0 and the name virtualInbound. %TARGET_PORT% stays as written, as istiod leaves it in chains.
 * Without the pattern, the cluster's name.
 */
function inboundTcpStats(snap: Snapshot, proxy: Proxy): (port: IngressPort | undefined, cluster: string) => string {
  const pattern = snap.mesh.inboundClusterStatName;
  if (!pattern) return (_, cluster) => cluster;
  const sidecar = proxySidecar(snap, proxy, () => proxyLabels(snap, proxy));
  const landing = servicesByWorkloadPort(snap, proxy);
  const synthetic = sidecar && sidecarIngress(sidecar) ? `${sidecar.name}.${sidecar.namespace}` : undefined;
  return (p) => {
    const first = p ? landing.get(p.port) : undefined;
    const target =
      !p ? { ...hostVariables('', undefined), port: 0, portName: 'virtualInbound' }
      : synthetic !== undefined || !first ? { ...hostVariables(synthetic ?? '', undefined), port: p.port, portName: p.name ?? '' }
      : { ...hostVariables(first.svc.hostname, first.svc), port: first.sp.port, portName: first.sp.name };
    return statName(pattern, { ...target, subset: '' });
  };
}

function virtualInbound(snap: Snapshot, proxy: Proxy): Json {
  const authz = inboundAuthz(snap, proxy);
  // RequestAuthentication's token check comes before the policies that read its result (jwt.ts, authz.ts), and
  // the WasmPlugins selecting the port's SERVER traffic go in their phases among them (wasm.ts): HTTP ones among the
  // HTTP filters, NETWORK ones among the network filters before the tcp_proxy (or alone before the connection manager).
  const jwt = inboundJwt(snap, proxy);
  const httpFilters = (port: number): Json[] => phased(jwt, authz.custom, authz.rbac, wasmFilters(snap, proxy, 'SERVER', port));
  const network = (port: number): WasmPhases | undefined => wasmNetworkFilters(snap, proxy, 'SERVER', port);
  const tcpFilters = (port: number): Json[] => networkPhased(authz.tcpCustom, authz.tcpRbac, network(port));
  const chains: Json[] = [
    { name: 'virtualInbound-blackhole', filter_chain_match: { destination_port: { value: inboundCapturePort(snap.mesh) } }, filters: [tcpProxy(BLACKHOLE, BLACKHOLE)] },
  ];
  const sniffed: number[] = [];
  const mtls = inboundMtls(snap, proxy);
  const stat = inboundTcpStats(snap, proxy);
  for (const p of inboundPorts(snap, proxy)) {
    const { port, protocol } = p;
    if (port === inboundCapturePort(snap.mesh)) continue;
    const cluster = inboundClusterName(port);
    const match = { destination_port: { value: port } };
    const hcm = (): Json => httpConnectionManager(`inbound_0.0.0.0_${port}`, { inline: inboundRouteConfig(port, protocol, snap.mesh.inboundHttpRetries) }, 'inbound', httpFilters(port), [], snap.mesh.pathNormalization);
    const http = (m: Json): Json => ({ name: cluster, filter_chain_match: m, filters: [...networkPhased([], [], network(port)), hcm()] });
    const tcp = (name: string): Json => ({ name, filter_chain_match: match, filters: [...tcpFilters(port), tcpProxy(stat(p, cluster), cluster)] });
    let own: Json[];
    if (isHttpProtocol(protocol)) own = [http(match)];
    else if (protocol !== 'UNSUPPORTED') own = [tcp(cluster)];
    else {
      // Sniffed: plaintext HTTP to the connection manager, anything else to tcp_proxy.
      own = [http(sniffedHttpMatch(match)), tcp(`${cluster}-tcp`)];
      sniffed.push(port);
    }
    chains.push(...(mtls ? mtls.chains(own, port) : own));
  }
  // Ports no service declares are authorized too, or a port of its own would bypass the policies; port 0 for the
  // WasmPlugins: those that name no port (Istio's passthrough chains).
  const catchall = {
    name: 'virtualInbound-catchall-tcp',
    filter_chain_match: { prefix_ranges: [{ address_prefix: '0.0.0.0', prefix_len: { value: 0 } }] },
    filters: [...tcpFilters(0), tcpProxy(stat(undefined, INBOUND_PASSTHROUGH), INBOUND_PASSTHROUGH)],
  };
  chains.push(...(mtls ? mtls.chains([catchall], 0) : [catchall]));
  const listenerFilters = [originalDstFilter()];
  const tls = mtls?.inspector();
  if (tls) listenerFilters.push(tls);
  if (sniffed.length > 0) listenerFilters.push(httpInspectorFilter({ filter_disabled: onlyOnPorts(sniffed) }));
  return {
    name: 'virtualInbound',
    address: socketAddress('0.0.0.0', inboundCapturePort(snap.mesh)),
    traffic_direction: 'INBOUND',
    listener_filters: listenerFilters,
    // How long the inspectors wait for a client's first bytes: as sniffing does (Envoy's own default closes at 15 s).
    ...(sniffed.length === 0 && !tls ? {} : detectionTimeout(snap.mesh.protocolDetectionMs)),
    filter_chains: chains,
  };

}

export function generateSidecarListeners(snap: Snapshot, proxy: Proxy): NamedResource[] {
  const unknown = unknownDestinations(proxySidecar(snap, proxy, () => proxyLabels(snap, proxy)), snap.mesh);
  const all = [virtualOutbound(unknown, snap.mesh), ...outboundListeners(snap, proxy, unknown.dynamicDns), virtualInbound(snap, proxy)];
  return all.map((l) => ({ name: l.name as string, resource: l }));
}
