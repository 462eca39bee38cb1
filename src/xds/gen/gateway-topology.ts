/**
 * ProxyConfig's gatewayTopology on a gateway's listeners, as istiod applies it: the gateway's own ProxyConfig (its
 * node's PROXY_CONFIG, which then decides whole), else the mesh config's defaultConfig. Every connection manager of
 * a gateway uses the client's address (use_remote_address), trusts numTrustedProxies X-Forwarded-For entries
 * (xff_num_trusted_hops) and handles x-forwarded-client-cert as forwardClientCertDetails says (SANITIZE_SET when
 * unset, with the client certificate's subject, the certificate, its DNS and URI SANs where the header is set);
 * with proxyProtocol every gateway listener starts with the proxy_protocol listener filter. Sidecars take none of
 * it. Pure.
 */
import type { Snapshot } from '../../model/types.js';
import { type Proxy, proxyConfigOf } from '../../model/proxy.js';
import type { GatewayTopology } from '../../model/gateway-topology.js';
import { type Json, any } from './common.js';
import { ISTIO_SERVER_NAME } from './filters.js';

/** The gatewayTopology a gateway proxy gets: its node's ProxyConfig when it sent one, else the mesh's. */
export function gatewayTopologyOf(snap: Snapshot, proxy: Proxy): GatewayTopology | undefined {
  return proxyConfigOf(snap.mesh, proxy).gatewayTopology;
}

/** What of the proxy (not of the snapshot) decides its topology, for proxyScope: empty when it follows the mesh's. */
export function topologyScope(proxy: Proxy): string {
  return proxy.type === 'router' && proxy.proxyConfig ? JSON.stringify(proxy.proxyConfig.gatewayTopology ?? {}) : '';
}

/** The fields a gateway's connection managers take from the topology. */
export function gatewayManagerFields(topology: GatewayTopology | undefined): Json {
  const fcc = topology?.forwardClientCertDetails ?? 'SANITIZE_SET';
  return {
    use_remote_address: { value: true },
    // Istio's server header on gateways (proxyHeaders may change it: proxy-headers.ts).
    server_name: ISTIO_SERVER_NAME,
    ...(topology?.numTrustedProxies ? { xff_num_trusted_hops: topology.numTrustedProxies } : {}),
    forward_client_cert_details: fcc,
    // Envoy sets the header's fields only where it sets the header.
    ...(fcc === 'APPEND_FORWARD' || fcc === 'SANITIZE_SET' ? { set_current_client_cert_details: { subject: { value: true }, cert: true, dns: true, uri: true } } : {}),
  };
}

/** A connection manager filter (filters.ts httpConnectionManager) with the gateway's fields over its own. */
export function withGatewayFields(hcm: Json, fields: Json): Json {
  return { ...hcm, typed_config: { ...hcm.typed_config, ...fields } };
}

/** The listener filter that reads the PROXY protocol header (v1 or v2) before anything else reads the connection. */
export const proxyProtocolFilter = (): Json => ({ name: 'envoy.filters.listener.proxy_protocol', typed_config: any('envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol') });
