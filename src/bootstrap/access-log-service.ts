/**
 * The bootstrap cluster `envoy_accesslog_service`, which Istio's legacy access log service streams to: a proxy whose
 * ProxyConfig names envoyAccessLogService.address gets it, and the mesh config's enableEnvoyAccessLogService then
 * points every connection manager's and tcp_proxy's gRPC access logger at it (xds/gen/access-log.ts). Like istiod's:
 * HTTP/2, DNS resolved (an IP as is), the TCP keepalive asked for, and TLS as config/remote-service.ts reads it.
 *
 * Written in protobuf's JSON form as Envoy reads its bootstrap: the keepalive values (UInt32Value wrappers) are bare
 * numbers there, unlike the generators' `{ value }` form. Pure.
 */
import { isIP } from 'node:net';
import { SYSTEM_CA_BUNDLE } from '../core/constants.js';
import { splitAddress, type RemoteKeepalive, type RemoteService, type RemoteTls } from '../config/remote-service.js';

/** The cluster's name, istiod's: the gRPC access loggers name it. */
export const ALS_CLUSTER = 'envoy_accesslog_service';

/** The SNI an ISTIO_MUTUAL connection sends when tlsSettings names none (istiod's: the cluster's name). */
const ISTIO_MUTUAL_SNI = ALS_CLUSTER;

/** The proxy's mesh identity, for ISTIO_MUTUAL: the mesh CA file, and the client certificate through file-based SDS. */
export interface MeshIdentity {
  caFile: string;
  /** The SDS file (a DiscoveryResponse of one Secret) and the Secret's name in it. */
  clientSds: { path: string; secret: string };
}

export interface AccessLogServiceOptions {
  /** The service, with its address. */
  service: RemoteService & { address: string };
  /** Absent: ISTIO_MUTUAL has no certificate to present, and the cluster stays plaintext (injection warns). */
  identity?: MeshIdentity;
}

const HTTP2 = {
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
    '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
    explicit_http_config: { http2_protocol_options: {} },
  },
};

const sanMatchers = (sans: readonly string[]) => sans.map((san) => ({ san_type: san.startsWith('spiffe://') ? 'URI' : 'DNS', matcher: { exact: san } }));

/** The dirname of an absolute file path ('/' for a file at the root). */
const dirOf = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/';

/** Envoy's UpstreamTlsContext for the service; undefined when there is none to give (ISTIO_MUTUAL without identity). */
function tlsContext(tls: RemoteTls, identity: MeshIdentity | undefined): Record<string, unknown> | undefined {
  const sans = sanMatchers(tls.subjectAltNames);
  let common: Record<string, unknown>;
  let sni = tls.sni;
  if (tls.mode === 'ISTIO_MUTUAL') {
    if (!identity) return undefined;
    const { path, secret } = identity.clientSds;
    common = {
      alpn_protocols: ['istio', 'h2'],
      tls_certificate_sds_secret_configs: [{ name: secret, sds_config: { path_config_source: { path, watched_directory: { path: dirOf(path) } }, resource_api_version: 'V3' } }],
      validation_context: { trusted_ca: { filename: identity.caFile }, ...(sans.length && { match_typed_subject_alt_names: sans }) },
    };
    sni ??= ISTIO_MUTUAL_SNI;
  } else {
    common = { alpn_protocols: ['h2'] };
    if (tls.mode === 'MUTUAL') common.tls_certificates = [{ certificate_chain: { filename: tls.clientCertificate }, private_key: { filename: tls.privateKey } }];
    if (!tls.insecureSkipVerify) {
      common.validation_context = {
        trusted_ca: { filename: tls.caCertificates ?? SYSTEM_CA_BUNDLE },
        ...(sans.length && { match_typed_subject_alt_names: sans }),
        ...(tls.caCrl && { crl: { filename: tls.caCrl } }),
      };
    }
  }
  return { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', ...(sni && { sni }), common_tls_context: common };
}

function keepalive(k: RemoteKeepalive): Record<string, number> {
  return {
    ...(k.probes !== undefined && { keepalive_probes: k.probes }),
    ...(k.timeSeconds !== undefined && { keepalive_time: k.timeSeconds }),
    ...(k.intervalSeconds !== undefined && { keepalive_interval: k.intervalSeconds }),
  };
}

/** The envoy.config.cluster.v3.Cluster of the access log service. */
export function accessLogServiceCluster(o: AccessLogServiceOptions): Record<string, unknown> {
  const { service } = o;
  const split = splitAddress(service.address);
  if (!split) throw new Error(`access log service address ${service.address} was not checked`);
  const ip = isIP(split.host) !== 0;
  const tls = service.tls && tlsContext(service.tls, o.identity);
  return {
    name: ALS_CLUSTER,
    type: ip ? 'STATIC' : 'STRICT_DNS',
    ...(ip ? {} : { respect_dns_ttl: true }),
    load_assignment: { cluster_name: ALS_CLUSTER, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: split.host, port_value: Number(split.port) } } } }] }] },
    typed_extension_protocol_options: HTTP2,
    ...(tls && { transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: tls } }),
    ...(service.keepalive && { upstream_connection_options: { tcp_keepalive: keepalive(service.keepalive) } }),
  };
}
