/**
 * Listeners and routes for gateway proxies (`router~` nodes) from the Gateways whose selector matches them:
 * one listener `0.0.0.0_<port>` per server port (the Kubernetes targetPort of the gateway's own service for that
 * port when there is one, as Istio listens), plain HTTP servers sharing RDS `http.<port>` (the VirtualServices that
 * share a host merge into its virtual host, as istiod merges them: gateway-vhosts.ts), terminated HTTPS
 * servers (SIMPLE/MUTUAL/OPTIONAL_MUTUAL) with certificate files in the gateway pod or SDS certificates
 * `kubernetes://<credentialName>` (credentials.ts serves them to gateways that authenticated), or ISTIO_MUTUAL with the
 * gateway's own mesh certificates (mtls.ts: only for a gateway that has them, otherwise no listener; `builtin://` names
 * them for the other modes), and RDS
 * `https.<port>.<portName>.<gateway>.<namespace>`; TLS servers terminated the same ways, then tcp routes by
 * tcp_proxy; TLS PASSTHROUGH by SNI and TCP servers by tcp_proxy. The WasmPlugins selecting a listener port's CLIENT
 * traffic go on its chains (wasm.ts): HTTP ones in the connection managers, NETWORK ones before the connection
 * manager or, among the authorization network filters, before the tcp_proxy. Routes to a DYNAMIC_DNS host bring its
 * dynamic forward proxy filter: the HTTP one into the connection manager, the SNI one before a TLS chain's
 * tcp_proxy (dynamic-dns.ts; istiod adds neither on gateways, where such a route then finds no host). The
 * connection managers use the client's address, and ProxyConfig's gatewayTopology says how many X-Forwarded-For
 * entries they trust, what they do with x-forwarded-client-cert, and whether the listeners read a PROXY protocol
 * header first (gateway-topology.ts). The chains of a listener never match one connection twice, which would make
 * Envoy refuse the listener: a TLS server naming a host an earlier server of its port took is dropped, as istiod
 * drops it, and so is a passthrough route's match naming a taken SNI host (gateway-sni.ts).
 */
import type { Config, MeshTls, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { isHttpProtocol, parseProtocol } from '../../model/protocol.js';
import { asArray, asObject, asPort, nonEmptyStrings } from '../../model/selectors.js';
import type { NamedResource } from './types.js';
import { type Json, adsSource, any, listenerName, socketAddress } from './common.js';
import { TCP_PROXY_FILTER, httpConnectionManager, tcpProxy, tlsInspectorFilter } from './filters.js';
import { destinationCluster, matchesPortAndGateways, type RouteContext } from './httproute.js';
import { destinationRuleForCluster, gatewaysFor, inboundServices, proxyLabels } from './context.js';
import { fileValidationContext, tcpProxyTimeouts } from './policy.js';
import { type ServerHost, boundVirtualServices, gatewayNames, gatewayVirtualHosts, istioConfigOrder } from './gateway-vhosts.js';
import { inboundAuthz } from './authz.js';
import { inboundJwt } from './jwt.js';
import { networkPhased, phased, wasmFilters, wasmNetworkFilters } from './wasm.js';
import { type CertFiles, certName, gatewayMtls, rootName, serverCerts } from './mtls.js';
import { gatewayServerParams } from './tls-params.js';
import { caSdsName, credentialSdsName } from './credentials.js';
import { isBuiltinCredential } from '../../model/credentials.js';
import { hasDynamicDns, httpDfpFilters, routeClusters, sniDfpFilters } from './dynamic-dns.js';
import { outboundTcpStat } from './stat-names.js';
import { gatewayManagerFields, gatewayTopologyOf, proxyProtocolFilter, withGatewayFields } from './gateway-topology.js';
import { NameClaims, distinctChains, firstClaims, serverNames } from './gateway-sni.js';

interface ServerInfo {
  gateway: Config;
  index: number;
  number: number;
  listenerPort: number;
  portName: string;
  protocol: ReturnType<typeof parseProtocol>;
  hosts: ServerHost[];
  tls: Json;
}

function servers(snap: Snapshot, proxy: Proxy): ServerInfo[] {
  const own = inboundServices(snap, proxy).flatMap((s) => s.ports);
  const out: ServerInfo[] = [];
  // In istiod's order of Gateways, which is the order their servers' routes merge in (gateway-vhosts.ts).
  for (const gw of [...gatewaysFor(snap, proxy)].sort(istioConfigOrder)) {
    asArray(gw.spec?.servers).forEach((raw, index) => {
      const s = asObject(raw);
      const port = asObject(s.port);
      const number = asPort(port.number);
      if (!number) return;
      const listenerPort = asPort(port.targetPort) ?? own.find((p) => p.port === number)?.targetPort ?? number;
      const hosts = nonEmptyStrings(s.hosts).map((h) => {
        const slash = h.indexOf('/');
        return slash < 0 ? { namespace: '*', host: h } : { namespace: h.slice(0, slash) === '.' ? gw.namespace : h.slice(0, slash), host: h.slice(slash + 1), qualified: true };
      });
      const protocol = parseProtocol(typeof port.protocol === 'string' ? port.protocol : undefined);
      out.push({ gateway: gw, index, number, listenerPort, portName: typeof port.name === 'string' && port.name ? port.name : String(number), protocol, hosts, tls: asObject(s.tls) });
    });
  }
  return out;
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== '';
/** The credential names of a server (credentialName, or up to two credentialNames). */
const credentialNames = (tls: Json): string[] => (nonEmpty(tls.credentialName) ? [tls.credentialName] : asArray(tls.credentialNames).filter(nonEmpty).slice(0, 2));
/** Certificate and key files in the gateway pod (serverCertificate/privateKey, or up to two tlsCertificates). */
function certificateFiles(tls: Json): Array<{ cert: string; key: string }> {
  const pairs = nonEmpty(tls.serverCertificate) ? [{ serverCertificate: tls.serverCertificate, privateKey: tls.privateKey }] : asArray(tls.tlsCertificates).map(asObject).slice(0, 2);
  return pairs.filter((c) => nonEmpty(c.serverCertificate) && nonEmpty(c.privateKey)).map((c) => ({ cert: c.serverCertificate as string, key: c.privateKey as string }));
}
/** HTTPS and TLS servers may terminate TLS: then HTTP routes (RDS) follow, or a TLS server's tcp routes. */
const carriesTls = (s: ServerInfo): boolean => s.protocol === 'HTTPS' || s.protocol === 'TLS';
/** A server terminated with its own certificates: files in the gateway pod, or SDS names. */
const isTerminatedWithCerts = (s: ServerInfo): boolean =>
  carriesTls(s) && ['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL'].includes(s.tls.mode) && (credentialNames(s.tls).length > 0 || certificateFiles(s.tls).length > 0);
/** A server in ISTIO_MUTUAL mode: mesh mTLS with the gateway's own mesh certificates, when it has them (mtls.ts). */
const isMeshTerminated = (s: ServerInfo): boolean => carriesTls(s) && s.tls.mode === 'ISTIO_MUTUAL';
/** A server whose credential is `builtin://`: the gateway's own mesh certificate, its client CA the mesh root. */
const usesBuiltin = (s: ServerInfo): boolean => credentialNames(s.tls).some(isBuiltinCredential) || (nonEmpty(s.tls.caCertCredentialName) && isBuiltinCredential(s.tls.caCertCredentialName));
/**
 * The servers a gateway terminates: with files or SDS names, and those that need its own mesh certificates
 * (ISTIO_MUTUAL, `builtin://`) when it has them; without, such a server gets no chain, as an ISTIO_MUTUAL one.
 */
const terminated = (list: readonly ServerInfo[], certs: CertFiles | undefined): ServerInfo[] =>
  list.filter((s) => (isTerminatedWithCerts(s) && (certs !== undefined || !usesBuiltin(s))) || (certs !== undefined && isMeshTerminated(s)));
const isPlainHttp = (s: ServerInfo): boolean => isHttpProtocol(s.protocol);
// An unset mode is PASSTHROUGH, the enum's zero value in Istio's API.
const isPassthrough = (s: ServerInfo): boolean => (s.protocol === 'TLS' || s.protocol === 'HTTPS') && (s.tls.mode === undefined || s.tls.mode === 'PASSTHROUGH' || s.tls.mode === 'AUTO_PASSTHROUGH');
const httpsRouteName = (s: ServerInfo): string => `https.${s.number}.${s.portName}.${s.gateway.name}.${s.gateway.namespace}`;

/** The virtual hosts of servers listening on `port`, merged as istiod merges them (gateway-vhosts.ts). */
const virtualHosts = (snap: Snapshot, proxy: Proxy, list: readonly ServerInfo[], port: number): Json[] =>
  gatewayVirtualHosts(snap, proxy, list, port, (s) => s.tls.httpsRedirect === true && !isTerminatedWithCerts(s));

/**
 * The servers of each listener port, in order; a TLS server naming a host an earlier TLS server of the port took is
 * dropped whole, as istiod drops it (gateway-sni.ts): it gets no chain and no route configuration.
 */
function byListenerPort(all: readonly ServerInfo[]): Map<number, ServerInfo[]> {
  const m = new Map<number, ServerInfo[]>();
  for (const s of all) m.set(s.listenerPort, [...(m.get(s.listenerPort) ?? []), s]);
  return new Map([...m.entries()].sort(([a], [b]) => a - b).map(([port, list]) => [port, firstClaims(list, (s) => (carriesTls(s) ? s.hosts.map((h) => h.host) : undefined))]));
}

export function generateGatewayRoutes(snap: Snapshot, proxy: Proxy): NamedResource[] {
  const out: NamedResource[] = [];
  for (const [port, list] of byListenerPort(servers(snap, proxy))) {
    const plain = list.filter(isPlainHttp);
    if (plain.length) {
      const name = `http.${port}`;
      out.push({ name, resource: { name, virtual_hosts: virtualHosts(snap, proxy, plain, port), validate_clusters: { value: false } } });
    }
    for (const s of terminated(list, serverCerts(proxy)).filter((x) => x.protocol === 'HTTPS')) {
      const name = httpsRouteName(s);
      out.push({ name, resource: { name, virtual_hosts: virtualHosts(snap, proxy, [s], port), validate_clusters: { value: false } } });
    }
  }
  return out;
}

/**
 * A terminated server's TLS: certificates by SDS (`kubernetes://<credentialName>`, the client CA from
 * `<credentialName>-cacert`) or from files in the gateway pod (serverCertificate/privateKey or tlsCertificates,
 * the client CA from caCertificates, with caCrl and subjectAltNames), as istiod writes them; a caCertCredentialName
 * names the Secret of the client CA instead (`kubernetes://<caCertCredentialName>-cacert`, which credentials.ts
 * resolves to that Secret). MUTUAL requires a client certificate, OPTIONAL_MUTUAL checks one when it is given.
 * `builtin://` names the gateway's own mesh certificate (`certs`, which terminated() made sure of), and as the client
 * CA the mesh root, as Istio serves them. Its versions, curves and cipher suites: the server's own over the mesh
 * config's tlsDefaults (tls-params.ts).
 */
function downstreamTls(s: ServerInfo, certs: CertFiles | undefined, defaults: MeshTls | undefined): Json {
  const names = credentialNames(s.tls);
  const mutual = s.tls.mode !== 'SIMPLE';
  // HTTP is offered over ALPN where HTTP follows; a terminated TLS server carries bytes, which ALPN does not name.
  const common: Json = s.protocol === 'HTTPS' ? { alpn_protocols: ['h2', 'http/1.1'] } : {};
  const params = gatewayServerParams(s.tls, defaults);
  if (params) common.tls_params = params;
  const pins = mutual ? clientPins(s.tls) : {};
  const sdsName = (name: string, ca: boolean): string => (certs && isBuiltinCredential(name) ? (ca ? rootName(certs) : certName(certs)) : ca ? caSdsName(name) : credentialSdsName(name));
  if (names.length > 0) common.tls_certificate_sds_secret_configs = [...new Set(names.map((name) => sdsName(name, false)))].map((name) => ({ name, sds_config: adsSource() }));
  else common.tls_certificates = certificateFiles(s.tls).map((c) => ({ certificate_chain: { filename: c.cert }, private_key: { filename: c.key } }));
  // The client CA: caCertCredentialName's Secret first, then the credential's own, then the caCertificates file.
  const caName = nonEmpty(s.tls.caCertCredentialName) ? s.tls.caCertCredentialName : names[0];
  if (mutual && caName !== undefined) {
    const sds = { name: sdsName(caName, true), sds_config: adsSource() };
    if (Object.keys(pins).length > 0) common.combined_validation_context = { default_validation_context: pins, validation_context_sds_secret_config: sds };
    else common.validation_context_sds_secret_config = sds;
  } else if (mutual && nonEmpty(s.tls.caCertificates)) common.validation_context = { ...fileValidationContext({ filename: s.tls.caCertificates }, s.tls), ...pins };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: any('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', {
      common_tls_context: common,
      ...(s.tls.mode === 'MUTUAL' ? { require_client_certificate: { value: true } } : {}),
    }),
  };
}

/** Client certificate pinning (verifyCertificateSpki / verifyCertificateHash) and insecureSkipVerify of a server's tls. */
function clientPins(tls: Json): Json {
  const spki = asArray(tls.verifyCertificateSpki).filter(nonEmpty);
  const hash = asArray(tls.verifyCertificateHash).filter(nonEmpty);
  return {
    ...(spki.length ? { verify_certificate_spki: spki } : {}),
    ...(hash.length ? { verify_certificate_hash: hash } : {}),
    ...(tls.insecureSkipVerify === true ? { trust_chain_verification: 'ACCEPT_UNTRUSTED' } : {}),
  };
}

const sniNames = (s: ServerInfo): string[] => serverNames(s.hosts.map((h) => h.host));

/** A server's tcp_proxy stat_prefix: to one destination, named by the mesh's outboundClusterStatName when set (stat-names.ts). */
const tcpStat = (snap: Snapshot, proxy: Proxy, s: ServerInfo, dests: ReadonlyArray<{ name: string }>): string =>
  dests.length === 1 ? outboundTcpStat(snap, proxy, dests[0]!.name, s.number, s.portName) : dests[0]!.name;

/**
 * TLS passthrough chains: the sniHosts of the VirtualService tls matches that apply to the server → tcp_proxy. A
 * match naming an SNI host an earlier match of the port took (`claims`) is skipped, as istiod skips it. The names
 * a terminated server of the port names (`terminatedNames`) are left to it, the more specific server: the
 * passthrough server reaches them through a wildcard host only (istiod builds both chains, which Envoy refuses).
 */
function passthroughChains(snap: Snapshot, proxy: Proxy, s: ServerInfo, claims: NameClaims, terminatedNames: ReadonlySet<string>): Json[] {
  const chains: Json[] = [];
  for (const { vs } of boundVirtualServices(snap, proxy.namespace, s)) {
    const names = gatewayNames(s.gateway, vs.namespace);
    const ctx: RouteContext = { snap, proxyNamespace: proxy.namespace, proxyLabels: proxyLabels(snap, proxy), port: s.number, gateways: names };
    for (const raw of asArray(vs.spec?.tls)) {
      const rule = asObject(raw);
      const dests = asArray(rule.route)
        .map(asObject)
        .map((d) => ({ name: destinationCluster(ctx, vs.namespace, d.destination), weight: typeof d.weight === 'number' && d.weight > 0 ? d.weight : 1 }))
        .filter((d): d is { name: string; weight: number } => !!d.name);
      if (!dests.length) continue;
      // Each match takes its sniHosts for the rule, or none of them when an earlier match took one.
      const snis = asArray(rule.match)
        .map(asObject)
        .filter((m) => matchesPortAndGateways(m, s.number, names))
        .map((m) => asArray(m.sniHosts).filter((h): h is string => nonEmpty(h) && !terminatedNames.has(h)))
        .filter((hosts) => hosts.length > 0 && claims.claim(hosts))
        .flat();
      if (snis.length) {
        const proxyFilter = tcpProxy(tcpStat(snap, proxy, s, dests), dests, tcpProxyTimeouts(destinationRuleForCluster(snap, proxy.namespace, dests[0]!.name, proxyLabels(snap, proxy))));
        const sni = serverNames(snis);
        chains.push({ filter_chain_match: { ...(sni.length ? { server_names: sni } : {}), transport_protocol: 'tls' }, filters: [...sniDfpFilters(snap, dests.map((d) => d.name), proxy.namespace), proxyFilter] });
      }
    }
  }
  return chains;
}

/** The tcp routes' chain of a server; `sni`: its connections are TLS (their SNI can say where a DYNAMIC_DNS host is). */
function tcpChain(snap: Snapshot, proxy: Proxy, s: ServerInfo, sni = false): Json | undefined {
  for (const { vs } of boundVirtualServices(snap, proxy.namespace, s)) {
    const names = gatewayNames(s.gateway, vs.namespace);
    const ctx: RouteContext = { snap, proxyNamespace: proxy.namespace, proxyLabels: proxyLabels(snap, proxy), port: s.number, gateways: names };
    for (const raw of asArray(vs.spec?.tcp)) {
      const rule = asObject(raw);
      const matches = asArray(rule.match).map(asObject);
      if (matches.length > 0 && !matches.some((m) => matchesPortAndGateways(m, s.number, names))) continue;
      const dests = asArray(rule.route)
        .map(asObject)
        .map((d) => ({ name: destinationCluster(ctx, vs.namespace, d.destination), weight: typeof d.weight === 'number' && d.weight > 0 ? d.weight : 1 }))
        .filter((d): d is { name: string; weight: number } => !!d.name);
      if (!dests.length) continue;
      const proxyFilter = tcpProxy(tcpStat(snap, proxy, s, dests), dests, tcpProxyTimeouts(destinationRuleForCluster(snap, proxy.namespace, dests[0]!.name, proxyLabels(snap, proxy))));
      return { filters: [...(sni ? sniDfpFilters(snap, dests.map((d) => d.name), proxy.namespace) : []), proxyFilter] };
    }
  }
  return undefined;
}

export function generateGatewayListeners(snap: Snapshot, proxy: Proxy): NamedResource[] {
  const out: NamedResource[] = [];
  // The gateway's AuthorizationPolicies, as on a sidecar's inbound side (authz.ts): before the HTTP router or tcp_proxy.
  const authz = inboundAuthz(snap, proxy);
  // RequestAuthentication's token check first, then the policies that may read its result (jwt.ts, authz.ts), with
  // the WasmPlugins selecting the listener port's CLIENT traffic in their phases among them (wasm.ts).
  const jwt = inboundJwt(snap, proxy);
  const certs = serverCerts(proxy);
  // ProxyConfig's gatewayTopology: on every connection manager, and the PROXY protocol on every listener.
  const topology = gatewayTopologyOf(snap, proxy);
  const managerFields = gatewayManagerFields(topology);
  const listenerFilters = (tls: boolean): Json[] => [...(topology?.proxyProtocol ? [proxyProtocolFilter()] : []), ...(tls ? [tlsInspectorFilter()] : [])];
  for (const [port, list] of byListenerPort(servers(snap, proxy))) {
    const httpFilters = phased(jwt, authz.custom, authz.rbac, wasmFilters(snap, proxy, 'CLIENT', port));
    const network = wasmNetworkFilters(snap, proxy, 'CLIENT', port);
    // The dynamic forward proxy filters of the DYNAMIC_DNS hosts the servers' routes lead to.
    const dfp = (routed: readonly ServerInfo[]): Json[] => (hasDynamicDns(snap) ? httpDfpFilters(snap, routeClusters(virtualHosts(snap, proxy, routed, port)), proxy.namespace) : []);
    const hcm = (rds: string, routed: readonly ServerInfo[]): Json[] => [
      ...networkPhased([], [], network),
      withGatewayFields(httpConnectionManager(`outbound_0.0.0.0_${port}`, { rds }, 'outbound', httpFilters, dfp(routed), snap.mesh.pathNormalization), managerFields),
    ];
    const tcpFilters = networkPhased(authz.tcpCustom, authz.tcpRbac, network);
    // Before the chain's filters (a dynamic forward proxy's SNI filter, then its tcp_proxy).
    const guarded = (c: Json): Json => (tcpFilters.length > 0 && c.filters?.at(-1)?.name === TCP_PROXY_FILTER ? { ...c, filters: [...tcpFilters, ...c.filters] } : c);
    const chains: Json[] = [];
    if (list.some(isPlainHttp)) chains.push({ filters: hcm(`http.${port}`, list.filter(isPlainHttp)) });
    const https = new Set(terminated(list, certs));
    const passthroughClaims = new NameClaims();
    const terminatedNames = new Set([...https].flatMap(sniNames));
    for (const s of list) {
      if (https.has(s)) {
        const names = sniNames(s);
        const match = { filter_chain_match: { ...(names.length ? { server_names: names } : {}), transport_protocol: 'tls' }, transport_socket: isMeshTerminated(s) ? gatewayMtls(certs!, s.tls, s.protocol === 'HTTPS' ? 'HTTPS' : 'TLS') : downstreamTls(s, certs, snap.mesh.tlsDefaults) };
        if (s.protocol === 'HTTPS') chains.push({ ...match, filters: hcm(httpsRouteName(s), [s]) });
        else {
          // A TLS server, terminated: its bytes go on by the tcp routes bound to it, as istiod does.
          const c = tcpChain(snap, proxy, s, true);
          if (c) chains.push({ ...match, ...c });
        }
      } else if (isPassthrough(s)) chains.push(...passthroughChains(snap, proxy, s, passthroughClaims, terminatedNames));
      else if (!isPlainHttp(s) && s.protocol !== 'HTTPS' && s.protocol !== 'TLS') {
        const c = tcpChain(snap, proxy, s);
        if (c) chains.push(c);
      }
    }
    // Envoy refuses two chains matching one connection: the first keeps it (gateway-sni.ts).
    const unique = distinctChains(chains);
    if (unique.length === 0) continue;
    const filters = listenerFilters(unique.some((c) => c.filter_chain_match?.transport_protocol === 'tls'));
    const name = listenerName('0.0.0.0', port);
    out.push({
      name,
      resource: { name, address: socketAddress('0.0.0.0', port), traffic_direction: 'OUTBOUND', ...(filters.length > 0 ? { listener_filters: filters } : {}), filter_chains: unique.map(guarded) },
    });
  }
  return out;
}
