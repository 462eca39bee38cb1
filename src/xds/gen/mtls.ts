/**
 * Mesh mTLS for Envoy proxies whose certificates are files in their own file system: the node metadata names them
 * with Istio's keys for file-mounted certificates (TLS_SERVER_CERT_CHAIN, TLS_SERVER_KEY, TLS_SERVER_ROOT_CERT and
 * the TLS_CLIENT_* three), which the injector sets when the mesh config mounts the Secret istio.<service account>.
 * A proxy without them keeps plaintext, whatever the policies say, since it has nothing to present.
 *
 * - SDS over ADS: the transport sockets name the secrets as istiod names file-mounted ones, `file-cert:<chain>~<key>`
 *   and `file-root:<root>`, and the secrets served under those names point at the files, with the directory watched
 *   (a Kubernetes Secret volume swaps its files at once through a symlink), so a renewed certificate is used
 *   without a push. No key material crosses the xDS connection.
 * - Clients: a DestinationRule's ISTIO_MUTUAL, and with auto mTLS (mesh enableAutoMtls, default true) every cluster
 *   of a mesh service whose rule sets no tls: mTLS to the endpoints labelled tlsMode=istio (EDS metadata, see
 *   endpointMetadata), plaintext to the others. The server must present one of the service's identities (its
 *   workloads' service accounts, or the rule's subjectAltNames); the SNI is istiod's
 *   `outbound_.<port>_.<subset>_.<host>`; ALPN `istio-peer-exchange`, `istio`, which servers look for.
 * - Servers: on each inbound port, the PeerAuthentication mode (peer-auth.ts). STRICT: mTLS only, a client
 *   certificate from the mesh CA required. PERMISSIVE (the TLS inspector tells the clients apart): plaintext as
 *   plaintext, TLS as mesh mTLS; on a TCP port only TLS with the mesh ALPN, another TLS client's connection (the
 *   application's own TLS) going through as it came. DISABLE: plaintext, as without certificates.
 * - Versions and cipher suites (tls-params.ts): servers TLS 1.2 (or meshMTLS's 1.3) to 1.3 with meshMTLS's cipher
 *   suites or Istio's; clients TLS 1.2 to 1.3. A gateway's ISTIO_MUTUAL server keeps Envoy's defaults, as in istiod.
 * Pure.
 */
import type { Endpoint, MeshSettings, Service, Snapshot } from '../../model/types.js';
import { spiffeId } from '../../core/spiffe.js';
import type { Proxy } from '../../model/proxy.js';
import { MeshCerts } from '../../core/constants.js';
import { asArray } from '../../model/selectors.js';
import { type Json, adsSource, any } from './common.js';
import { fileSource, subjectAltNameMatchers } from './policy.js';
import type { NamedResource } from './types.js';
import { type MtlsMode, mtlsMode } from './peer-auth.js';
import { meshClientParams, meshServerParams } from './tls-params.js';
import { endpointsOf } from './host-definitions.js';

/** A proxy's certificate files for one direction. */
export interface CertFiles {
  chain: string;
  key: string;
  root: string;
}

/** What a mesh client offers, and a PERMISSIVE server looks for, in ALPN (Istio's values). */
const MESH_ALPN = ['istio-peer-exchange', 'istio'];
const MESH_ALPN_MATCH = [...MESH_ALPN, 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'];
const TLS_SOCKET = 'envoy.transport_sockets.tls';
/** The EDS metadata a cluster's transport_socket_matches read (Envoy's filter name, Istio's key). */
const SOCKET_MATCH = 'envoy.transport_socket_match';

const absolute = (v: unknown): v is string => typeof v === 'string' && v.startsWith('/') && v.length > 1;
const dirOf = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/';

function certFiles(meta: Record<string, unknown>, chain: string, key: string, root: string): CertFiles | undefined {
  const [c, k, r] = [meta[chain], meta[key], meta[root]];
  return absolute(c) && absolute(k) && absolute(r) ? { chain: c, key: k, root: r } : undefined;
}

/** The files a proxy presents and checks with as a server; undefined unless its metadata names all three. */
export const serverCerts = (proxy: Proxy): CertFiles | undefined =>
  proxy.generator === 'envoy' ? certFiles(proxy.metadata, MeshCerts.metadata.serverChain, MeshCerts.metadata.serverKey, MeshCerts.metadata.serverRoot) : undefined;

/** The files a proxy presents and checks with as a client. */
export const clientCerts = (proxy: Proxy): CertFiles | undefined =>
  proxy.generator === 'envoy' ? certFiles(proxy.metadata, MeshCerts.metadata.clientChain, MeshCerts.metadata.clientKey, MeshCerts.metadata.clientRoot) : undefined;

/** The files as one string (a memo or scope key); '' for none. */
export const certsKey = (c: CertFiles | undefined): string => (c ? `${c.chain}~${c.key}~${c.root}` : '');
/** What of a proxy mesh mTLS depends on, for its scope ('' without certificates). */
export function certsScope(proxy: Proxy): string {
  const s = serverCerts(proxy);
  const c = clientCerts(proxy);
  return s || c ? `${certsKey(s)}|${certsKey(c)}` : '';
}

/** The names istiod gives the SDS secrets of file-mounted certificates: the certificate and key, the root. */
export const certName = (c: CertFiles): string => `file-cert:${c.chain}~${c.key}`;
export const rootName = (c: CertFiles): string => `file-root:${c.root}`;

/** SDS: the secrets the proxy's mTLS sockets name, pointing at its files. Empty without certificates. */
export function generateSecrets(proxy: Proxy): NamedResource[] {
  const out = new Map<string, Json>();
  for (const c of [serverCerts(proxy), clientCerts(proxy)]) {
    if (!c) continue;
    const sameDir = dirOf(c.chain) === dirOf(c.key);
    out.set(certName(c), {
      name: certName(c),
      tls_certificate: { certificate_chain: { filename: c.chain }, private_key: { filename: c.key }, ...(sameDir ? { watched_directory: { path: dirOf(c.chain) } } : {}) },
    });
    out.set(rootName(c), { name: rootName(c), validation_context: { trusted_ca: { filename: c.root }, watched_directory: { path: dirOf(c.root) } } });
  }
  return [...out.values()].map((resource) => ({ name: resource.name as string, resource }));
}

const uriSan = (exact: string): Json => ({ san_type: 'URI', matcher: { exact } });

function commonTls(c: CertFiles, sans: Json[]): Json {
  return {
    tls_certificate_sds_secret_configs: [{ name: certName(c), sds_config: adsSource() }],
    combined_validation_context: {
      default_validation_context: sans.length > 0 ? { match_typed_subject_alt_names: sans } : {},
      validation_context_sds_secret_config: { name: rootName(c), sds_config: adsSource() },
    },
  };
}

/**
 * A client's mesh mTLS socket: its certificate, the mesh CA, and the server identities it accepts (any when none);
 * no sni: the request's host (a dynamic forward proxy cluster's auto_sni, dynamic-dns.ts). TLS 1.2 to 1.3, as istiod
 * sets it (tls-params.ts), so that servers that ask for 1.3 (meshMTLS) are reached.
 */
export function upstreamMtls(c: CertFiles, sni: string | undefined, identities: readonly string[]): Json {
  const sans = identities.map((s) => (s.startsWith('spiffe://') ? uriSan(s) : { san_type: 'DNS', matcher: { exact: s } }));
  return {
    name: TLS_SOCKET,
    typed_config: any('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', {
      common_tls_context: { tls_params: meshClientParams(), ...commonTls(c, sans), alpn_protocols: MESH_ALPN },
      ...(sni ? { sni } : {}),
    }),
  };
}

/**
 * A server's mesh mTLS socket: a client certificate is required, from the trusted roots, of an identity in one of the
 * `trustDomains`; `params`: its TLS versions and cipher suites (Envoy's defaults without).
 */
function serverMtls(c: CertFiles, trustDomains: readonly string[], params?: Json): Json {
  const inDomains = trustDomains.map((td) => ({ san_type: 'URI', matcher: { prefix: `spiffe://${td}/` } }));
  return {
    name: TLS_SOCKET,
    typed_config: any('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', {
      common_tls_context: { ...(params ? { tls_params: params } : {}), ...commonTls(c, inDomains) },
      require_client_certificate: { value: true },
    }),
  };
}

/**
 * The trust domains a sidecar accepts mTLS clients of, as istiod validates them: the mesh's, its aliases and the
 * mesh config's caCertificates trust domains, each once. An alias pattern (`*` at an end) is left out: istiod would
 * match it literally, which no identity does.
 */
export function validationTrustDomains(mesh: Pick<MeshSettings, 'trustDomain' | 'trustDomainAliases' | 'caTrustDomains'>): string[] {
  const all = [mesh.trustDomain, ...(mesh.trustDomainAliases ?? []).filter((a) => !a.includes('*')), ...(mesh.caTrustDomains ?? [])];
  return [...new Set(all)];
}

/** A sidecar's inbound mesh mTLS socket, with the mesh config's meshMTLS versions and cipher suites (tls-params.ts). */
export const downstreamMtls = (c: CertFiles, mesh: Pick<MeshSettings, 'trustDomain' | 'trustDomainAliases' | 'caTrustDomains' | 'meshMtls'>): Json =>
  serverMtls(c, validationTrustDomains(mesh), meshServerParams(mesh.meshMtls));

/** ALPN of a gateway's ISTIO_MUTUAL server: HTTP's; on a terminated TLS server, Istio's metadata exchange first. */
const GATEWAY_MTLS_ALPN = { HTTPS: ['h2', 'http/1.1'], TLS: ['istio-peer-exchange', 'h2', 'http/1.1'] };

/**
 * A gateway's ISTIO_MUTUAL server socket, as istiod writes it: the gateway's mesh certificate, and a client
 * certificate required and checked against the mesh roots, of any identity they vouch for unless the server names
 * `subjectAltNames` (exact, SPIFFE ids as URIs); its caCrl and insecureSkipVerify apply. Envoy's default versions and
 * cipher suites: istiod applies the mesh's tlsDefaults and the server's own only to SIMPLE and MUTUAL servers.
 */
export function gatewayMtls(c: CertFiles, tls: Json, protocol: 'HTTPS' | 'TLS'): Json {
  const crl = fileSource(tls.caCrl);
  const common = commonTls(c, subjectAltNameMatchers(tls));
  const { default_validation_context: checks, ...roots } = common.combined_validation_context;
  const validation = { ...checks, ...(crl ? { crl } : {}), ...(tls.insecureSkipVerify === true ? { trust_chain_verification: 'ACCEPT_UNTRUSTED' } : {}) };
  common.combined_validation_context = { default_validation_context: validation, ...roots };
  return {
    name: TLS_SOCKET,
    typed_config: any('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', {
      common_tls_context: { ...common, alpn_protocols: GATEWAY_MTLS_ALPN[protocol] },
      require_client_certificate: { value: true },
    }),
  };
}

const RAW_BUFFER: Json = { name: 'envoy.transport_sockets.raw_buffer', typed_config: any('envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer') };

/** Auto mTLS: mTLS to the endpoints that accept it, plaintext to the rest (Istio's two socket matches). */
export function autoMtlsMatches(socket: Json): Json[] {
  return [
    { name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transport_socket: socket },
    { name: 'tlsMode-disabled', match: {}, transport_socket: RAW_BUFFER },
  ];
}

/** istiod's SNI for mesh mTLS to a cluster. */
export const meshSni = (port: number, subset: string, host: string): string => `outbound_.${port}_.${subset}_.${host}`;

const ACCEPTS_MTLS: Json = { filter_metadata: { [SOCKET_MATCH]: { tlsMode: 'istio' } } };
/** An endpoint's metadata when it accepts mesh mTLS (what autoMtlsMatches looks for); shared, never modified. */
export const endpointMetadata = (accepts: boolean): Json | undefined => (accepts ? ACCEPTS_MTLS : undefined);

/**
 * Whether an endpoint (of a service in `namespace`) takes mesh mTLS: its workload has certificates and the
 * PeerAuthentication of the port it listens on does not turn mTLS off.
 */
export function acceptsMtls(snap: Snapshot, namespace: string, e: Endpoint): boolean {
  return e.tlsMode === 'istio' && (snap.peerAuthentications.length === 0 || mtlsMode(snap, namespace, e.labels, e.port) !== 'DISABLE');
}

/** The names of a DestinationRule tls block's subjectAltNames. */
export const ruleSans = (tls: Json): string[] => asArray(tls.subjectAltNames).filter((s): s is string => typeof s === 'string' && s !== '');

/**
 * An inbound port's filter chains as its mode makes them, for a proxy with certificates. `chains` are the plaintext
 * chains of the port (their filter_chain_match set); `tcp` says which of them carry raw TCP (a TLS client that is
 * not the mesh's reaches those as it is; on an HTTP port any TLS is mesh mTLS, so a proxyless gRPC client, whose
 * ALPN is h2, is served too). The mTLS chains carry the TCP chain's filters when the port is sniffed: behind TLS
 * the HTTP inspector sees nothing (a sniffed port over mTLS is TCP to the server).
 */
export function inboundChains(chains: readonly Json[], mode: MtlsMode, socket: Json, tcp: (c: Json) => boolean): Json[] {
  if (mode === 'DISABLE') return [...chains];
  const sniffed = chains.length > 1;
  const base = sniffed ? chains.filter(tcp) : chains;
  const secured = (c: Json, alpn: boolean): Json => ({
    ...c,
    filter_chain_match: { ...(c.filter_chain_match as Json), transport_protocol: 'tls', ...(alpn ? { application_protocols: MESH_ALPN_MATCH } : {}) },
    transport_socket: socket,
  });
  if (mode === 'STRICT') return base.map((c) => secured(c, false));
  const plain = (c: Json, protocol: 'raw_buffer' | 'tls'): Json => ({ ...c, name: protocol === 'tls' ? `${String(c.name)}-tls` : c.name, filter_chain_match: { ...(c.filter_chain_match as Json), transport_protocol: protocol } });
  return [
    ...base.map((c) => ({ ...secured(c, tcp(c)), name: `${String(c.name)}-mtls` })),
    ...chains.map((c) => plain(c, 'raw_buffer')),
    // Another TLS client (an application's own TLS) on a TCP port: passed through as it came.
    ...chains.filter(tcp).map((c) => plain(c, 'tls')),
  ];
}

/** What a client's cluster mTLS depends on, besides the cluster. */
export interface MtlsTarget {
  /** The DestinationRule's tls for the cluster (port and subset applied); undefined when the rule sets none. */
  tls: Json | undefined;
  port: number;
  subset: string;
  host: string;
  /** Auto mTLS applies: the mesh has it on and the service is in the mesh (not MESH_EXTERNAL). */
  auto: boolean;
  /**
   * A headless service's cluster (ORIGINAL_DST: no endpoints for socket matches to read): whether every endpoint of
   * the port takes mTLS (and there is one), as istiod infers it for such services.
   */
  allEndpointsMtls?: boolean;
  /** The identities the service's servers may present. */
  identities: () => readonly string[];
  /** No SNI of istiod's form unless the rule sets one: each request's host is (a dynamic forward proxy cluster). */
  autoSni?: boolean;
}

const PROXY_PROTOCOL_SOCKET = 'envoy.transport_sockets.upstream_proxy_protocol';
const ENDPOINT_CLUSTERS = new Set(['EDS', 'STRICT_DNS', 'LOGICAL_DNS']);

/** The socket, inside the rule's PROXY protocol wrapper when the cluster has one. */
function inWrapper(current: Json | undefined, socket: Json): Json {
  if (current?.name !== PROXY_PROTOCOL_SOCKET) return socket;
  return { ...current, typed_config: { ...(current.typed_config as Json), transport_socket: socket } };
}

/**
 * A cluster as a client with certificates `c` sends to it: mTLS under ISTIO_MUTUAL; without a tls setting and with
 * auto mTLS, mTLS to the endpoints that accept it (a cluster whose endpoints Envoy reads from EDS or DNS; a headless
 * service's when all of them do; a PROXY protocol one stays plaintext); any other tls mode as the rule says. Never
 * modifies `cluster`.
 */
export function clusterMtls(cluster: Json, t: MtlsTarget, c: CertFiles): Json {
  const sni = meshSni(t.port, t.subset, t.host);
  if (t.tls?.mode === 'ISTIO_MUTUAL') {
    const own = typeof t.tls.sni === 'string' && t.tls.sni ? t.tls.sni : t.autoSni ? undefined : sni;
    const sans = ruleSans(t.tls);
    const socket = upstreamMtls(c, own, sans.length > 0 ? sans : t.identities());
    return { ...cluster, transport_socket: inWrapper(cluster.transport_socket as Json | undefined, socket) };
  }
  if (t.tls !== undefined || !t.auto || cluster.transport_socket !== undefined) return cluster;
  if (cluster.type === 'ORIGINAL_DST') return t.allEndpointsMtls ? { ...cluster, transport_socket: upstreamMtls(c, sni, t.identities()) } : cluster;
  if (!ENDPOINT_CLUSTERS.has(cluster.type as string)) return cluster;
  return { ...cluster, transport_socket_matches: autoMtlsMatches(upstreamMtls(c, sni, t.identities())) };
}

/**
 * The identities a service's servers may present, sorted: the SPIFFE ids of its workloads' service accounts (in
 * the service's namespace) and a ServiceEntry's subjectAltNames, what istiod checks a server's certificate against.
 */
export function serviceIdentities(snap: Snapshot, svc: Service): string[] {
  const ids = new Set<string>(svc.subjectAltNames);
  for (const ep of endpointsOf(snap, svc) ?? []) if (ep.serviceAccount) ids.add(spiffeId(snap.mesh.trustDomain, svc.namespace, ep.serviceAccount));
  return [...ids].sort();
}
