/**
 * LDS for proxyless gRPC.
 * - Client (API) listeners, named exactly as asked (`reviews:9080`, `reviews.default:9080`, the FQDN …): an
 *   HttpConnectionManager with RDS (`<fqdn>:<port>`) and the filters gRPC runs: fault, then router (last).
 * - Server listeners for xDS-enabled gRPC servers, `xds.istio.io/grpc/lds/inbound/<ip>:<port>`: the address the
 *   server binds (gRPC checks it equals its own), one default filter chain with an HttpConnectionManager whose
 *   inline route sends everything on (non_forwarding_action: a server serves, it does not forward) and the
 *   router, after the RBAC filters of the AuthorizationPolicies that apply to the server (gRPC servers refuse
 *   filters they cannot run, such as fault; grpc-js-xds runs RBAC when GRPC_XDS_EXPERIMENTAL_RBAC=true, and
 *   without it refuses the listener rather than serve unchecked). When the PeerAuthentication mode of the port is
 *   STRICT the chain requires mesh mTLS (tls.ts); PERMISSIVE serves plaintext, since a gRPC server cannot tell
 *   TLS from plaintext on one port (istiod does the same, but turns PERMISSIVE into STRICT for workloads
 *   labelled security.istio.io/tlsMode=istio, because its sidecars upgrade to mTLS on their own; mizzen's
 *   clients never do, so mizzen keeps PERMISSIVE plaintext).
 * Pure.
 */
import type { Snapshot } from '../../../model/types.js';
import type { Proxy } from '../../../model/proxy.js';
import type { NamedResource } from '../index.js';
import { ExtensionTypeUrls, GrpcXds } from '../../../core/constants.js';
import { proxyLabels } from '../context.js';
import { mtlsMode } from '../peer-auth.js';
import { downstreamMtls } from './tls.js';
import { inboundAuthz } from '../authz.js';
import { parseInboundName, resolveOutbound, routeName, servedServices } from './names.js';

type Obj = Record<string, unknown>;

const router = (): Obj => ({ name: GrpcXds.routerFilter, typed_config: { '@type': ExtensionTypeUrls.router } });
const fault = (): Obj => ({ name: GrpcXds.faultFilter, typed_config: { '@type': ExtensionTypeUrls.fault } });

export function apiListener(name: string, route: string): Obj {
  return {
    name,
    api_listener: {
      api_listener: {
        '@type': ExtensionTypeUrls.httpConnectionManager,
        stat_prefix: name,
        rds: { route_config_name: route, config_source: { ads: {}, resource_api_version: 'V3' } },
        http_filters: [fault(), router()],
      },
    },
  };
}

/**
 * `authz`: RBAC filters (authz.ts) the server runs before the router; gRPC evaluates them as Envoy does.
 * `mtls`: the server requires mesh mTLS (PeerAuthentication STRICT). Its chain's connection manager is named
 * apart (`inbound|<port>|mtls`), and that is load-bearing: grpc-js-xds 1.14.1 compares a new listener with the
 * one in force filter bytes first and transport sockets last, and that last comparison is wrong (a plaintext
 * listener followed by an mTLS one throws in the server, the reverse is taken as no change). Filters that differ
 * settle the comparison before it gets there.
 */
export function inboundListener(name: string, address: string, port: number, authz: readonly Obj[] = [], mtls = false): Obj {
  const chain = mtls ? `inbound|${port}|mtls` : `inbound|${port}`;
  const routeConfig = {
    name: `inbound|${port}`,
    virtual_hosts: [{ name: 'inbound|http', domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, non_forwarding_action: {} }] }],
  };
  return {
    name,
    address: { socket_address: { address, port_value: port } },
    traffic_direction: 'INBOUND',
    default_filter_chain: {
      name: chain,
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: { '@type': ExtensionTypeUrls.httpConnectionManager, stat_prefix: chain, route_config: routeConfig, http_filters: [...authz, router()] },
        },
      ],
      ...(mtls && { transport_socket: downstreamMtls() }),
    },
  };
}

/** One listener per requested name that designates a known service port or a server address; every visible service port's (FQDN form) when `names` is undefined. */
export function grpcListeners(snap: Snapshot, proxy: Proxy, names?: readonly string[]): NamedResource[] {
  if (names === undefined) {
    return servedServices(snap, proxy).flatMap((svc) => svc.ports.map((p) => ({ name: routeName(svc, p), resource: apiListener(routeName(svc, p), routeName(svc, p)) })));
  }
  const out: NamedResource[] = [];
  for (const name of new Set(names)) {
    const inbound = parseInboundName(name);
    if (inbound) {
      const strict = mtlsMode(snap, proxy.namespace, proxyLabels(snap, proxy), inbound.port) === 'STRICT';
      const authz = inboundAuthz(snap, proxy);
      out.push({ name, resource: inboundListener(name, inbound.address, inbound.port, [...authz.custom, ...authz.rbac], strict) });
      continue;
    }
    const target = resolveOutbound(snap, proxy, name);
    if (target) out.push({ name, resource: apiListener(name, routeName(target.service, target.port)) });
  }
  return out;
}
