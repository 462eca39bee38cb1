/**
 * Istio's outboundTrafficPolicy mode ALLOW_ANY_DYNAMIC_DNS, as istiod serves it: set in the mesh config only (a
 * Sidecar resource cannot say it, and one that sets an outboundTrafficPolicy of its own keeps that), for sidecars
 * only (gateways and proxyless gRPC are as before). Destinations outside the registry are reached as with ALLOW_ANY,
 * except plaintext HTTP, which goes through Envoy's dynamic forward proxy: the proxy resolves each request's Host
 * itself instead of connecting to the address the application dialled.
 * - CDS: `AllowAnyDynamicDNSCluster`, of the custom cluster type `envoy.clusters.dynamic_forward_proxy` with the DNS
 *   cache `allow_any_dfp_dns_cache` (V4_ONLY, as mizzen's DNS clusters; at most 1024 hosts, istiod's default of
 *   PILOT_ALLOW_ANY_DYNAMIC_DNS_MAX_HOSTS), the PassthroughCluster's HTTP options (the client's protocol upstream,
 *   idle connections closed after 5 minutes), the mesh's connectTimeout and tcpKeepalive, Istio's default circuit
 *   breakers. The policy's `tls` originates TLS as a DestinationRule's tls does (SIMPLE and MUTUAL with files or a
 *   credentialName, ISTIO_MUTUAL with the mesh certificates of a sidecar that has them), the SNI being each
 *   request's host and the server's certificate checked against it unless the tls sets an sni or
 *   insecureSkipVerify, as for ServiceEntry DYNAMIC_DNS hosts (dynamic-dns.ts, whose pieces this reuses).
 * - RDS: the catch-all virtual host of every outbound HTTP port's route configuration is `allow_any_dynamic_dns`,
 *   to that cluster, instead of `allow_any`.
 * - LDS: every outbound connection manager gets the dynamic forward proxy filter of that cache (it resolves the Host
 *   of requests routed to the cluster), after those of the port's DYNAMIC_DNS hosts; virtualOutbound gets the HTTP
 *   inspector and, before its catch-all, a chain for what the inspector finds to be plaintext HTTP, whose
 *   connection manager routes every host to that cluster. TLS and other TCP go on to the PassthroughCluster.
 * Pure.
 */
import type { MeshSettings } from '../../model/types.js';
import { type Json } from './common.js';
import { cacheCluster, cacheHttpFilter } from './dynamic-dns.js';
import { httpConnectionManager, sniffedHttpMatch } from './filters.js';
import { routeTimeouts } from './httproute.js';
import { clusterPolicyFields, connectionPoolFields } from './policy.js';
import { withMeshDefaults } from './mesh-defaults.js';
import { type CertFiles, certsKey, clusterMtls } from './mtls.js';

/** istiod's names: the cluster, the virtual host and route (and the inline route configuration), the DNS cache. */
export const ALLOW_ANY_DNS_CLUSTER = 'AllowAnyDynamicDNSCluster';
export const ALLOW_ANY_DNS = 'allow_any_dynamic_dns';
export const ALLOW_ANY_DNS_CACHE = 'allow_any_dfp_dns_cache';
/** How many resolved hosts the cache keeps (Envoy's own default, which istiod writes out). */
export const ALLOW_ANY_DNS_MAX_HOSTS = 1024;

/** The DNS cache: the same settings in the filter and the cluster (Envoy refuses one name with two configurations). */
const dnsCache = (): Json => ({ name: ALLOW_ANY_DNS_CACHE, dns_lookup_family: 'V4_ONLY', max_hosts: { value: ALLOW_ANY_DNS_MAX_HOSTS } });

/** The HTTP filter every outbound connection manager of such a sidecar carries, before the router. */
export const allowAnyDnsFilter = (): Json => cacheHttpFilter(dnsCache());

/** The catch-all virtual host: every other host to the dynamic forward proxy cluster, without timeouts (as allow_any). */
export const allowAnyDnsVirtualHost = (): Json => ({
  name: ALLOW_ANY_DNS,
  domains: ['*'],
  routes: [{ name: ALLOW_ANY_DNS, match: { prefix: '/' }, route: { cluster: ALLOW_ANY_DNS_CLUSTER, ...routeTimeouts(undefined) } }],
  include_request_attempt_count: true,
});

/**
 * virtualOutbound's chain for plaintext HTTP to a port no listener of its own takes: a connection manager with the
 * catch-all virtual host inline (istiod's names for the chain and the stat prefix).
 */
export function allowAnyDnsChain(mesh: MeshSettings): Json {
  const routes = { name: ALLOW_ANY_DNS, virtual_hosts: [allowAnyDnsVirtualHost()], validate_clusters: { value: false } };
  return {
    name: 'virtualOutbound-catchall-tcp-http',
    filter_chain_match: sniffedHttpMatch(),
    filters: [httpConnectionManager(`outbound_virtualOutbound_${ALLOW_ANY_DNS}`, { inline: routes }, 'outbound', [], [allowAnyDnsFilter()], mesh.pathNormalization)],
  };
}

/**
 * The policy's tls as a socket: SIMPLE and MUTUAL as a DestinationRule's (a credentialName by SDS where the proxy can
 * prove its identity, `certs`; the mesh config's tlsDefaults), ISTIO_MUTUAL with the proxy's mesh certificates (plaintext without, as for a rule),
 * no sni of its own unless the tls sets one, any mesh identity accepted unless it names subjectAltNames.
 */
function withTls(cluster: Json, tls: Json | undefined, certs: CertFiles | undefined, connectMs: number, tlsDefaults: MeshSettings['tlsDefaults']): Json {
  if (tls?.mode === 'SIMPLE' || tls?.mode === 'MUTUAL') {
    const socket = clusterPolicyFields({ tls }, false, false, certs !== undefined, connectMs, tlsDefaults).transport_socket as Json | undefined;
    return socket ? { ...cluster, transport_socket: socket } : cluster;
  }
  if (tls?.mode === 'ISTIO_MUTUAL' && certs) return clusterMtls(cluster, { tls, port: 0, subset: '', host: '', auto: false, identities: () => [], autoSni: true }, certs);
  return cluster;
}

/**
 * The dynamic forward proxy cluster, for a sidecar with these client certificates (undefined: none); `passthrough`
 * is the PassthroughCluster's typed_extension_protocol_options (clusters.ts). Memoized on the mesh settings (one
 * object per snapshot) and the certificates: shared, never modified.
 */
const memo = new WeakMap<MeshSettings, Map<string, Json>>();
export function allowAnyDnsCluster(mesh: MeshSettings, connectMs: number, passthrough: Json, certs: CertFiles | undefined): Json {
  let byCerts = memo.get(mesh);
  if (!byCerts) memo.set(mesh, (byCerts = new Map()));
  const key = `${connectMs}|${certsKey(certs)}`;
  const hit = byCerts.get(key);
  if (hit) return hit;
  // istiod applies an empty connection pool: Istio's default thresholds and the mesh's keepalive, not its
  // defaultTrafficPolicy (which the PassthroughCluster takes).
  const { trafficDefaults: _defaults, ...keepaliveOnly } = mesh;
  const pool = connectionPoolFields(withMeshDefaults({}, keepaliveOnly, 'pool'), false, false, false, connectMs);
  const base: Json = {
    name: ALLOW_ANY_DNS_CLUSTER,
    connect_timeout: pool.connect_timeout,
    circuit_breakers: pool.circuit_breakers,
    ...(pool.upstream_connection_options ? { upstream_connection_options: pool.upstream_connection_options } : {}),
    typed_extension_protocol_options: passthrough,
  };
  const tls = mesh.allowAnyDynamicDns?.tls as Json | undefined;
  const out = cacheCluster(withTls(base, tls, certs, connectMs, mesh.tlsDefaults), dnsCache(), tls, false);
  byCerts.set(key, out);
  return out;
}
