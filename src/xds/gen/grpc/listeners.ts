/**
 * LDS for proxyless gRPC.
 * - Client (API) listeners, named exactly as asked (`reviews:9080`, `reviews.default:9080`, the FQDN …): an
 *   HttpConnectionManager with RDS (`<fqdn>:<port>`) and the filters gRPC runs: fault, then router (last).
 * - Server listeners for xDS-enabled gRPC servers, `xds.istio.io/grpc/lds/inbound/<ip>:<port>`: the address the
 *   server binds (gRPC checks it equals its own), one default filter chain with an HttpConnectionManager whose
 *   inline route sends everything on (non_forwarding_action: a server serves, it does not forward) and the
 *   router, after the RBAC filters of the AuthorizationPolicies that apply to the server (gRPC servers refuse
 *   filters they cannot run, such as fault; grpc-js-xds runs RBAC when GRPC_XDS_EXPERIMENTAL_RBAC=true, and
 *   without it refuses the listener rather than serve unchecked).
 * Pure.
 */
import type { Snapshot } from '../../../model/types.js';
import type { Proxy } from '../../../model/proxy.js';
import type { NamedResource } from '../index.js';
import { ExtensionTypeUrls, GrpcXds } from '../../../core/constants.js';
import { visibleServices } from '../context.js';
import { inboundAuthz } from '../authz.js';
import { parseInboundName, resolveOutbound, routeName } from './names.js';

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

/** `authz`: RBAC filters (authz.ts) the server runs before the router; gRPC evaluates them as Envoy does. */
export function inboundListener(name: string, address: string, port: number, authz: readonly Obj[] = []): Obj {
  const routeConfig = {
    name: `inbound|${port}`,
    virtual_hosts: [{ name: 'inbound|http', domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, non_forwarding_action: {} }] }],
  };
  return {
    name,
    address: { socket_address: { address, port_value: port } },
    traffic_direction: 'INBOUND',
    default_filter_chain: {
      name: `inbound|${port}`,
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: { '@type': ExtensionTypeUrls.httpConnectionManager, stat_prefix: `inbound|${port}`, route_config: routeConfig, http_filters: [...authz, router()] },
        },
      ],
    },
  };
}

/** One listener per requested name that designates a known service port or a server address; every visible service port's (FQDN form) when `names` is undefined. */
export function grpcListeners(snap: Snapshot, proxy: Proxy, names?: readonly string[]): NamedResource[] {
  if (names === undefined) {
    return visibleServices(snap, proxy).flatMap((svc) => svc.ports.map((p) => ({ name: routeName(svc, p), resource: apiListener(routeName(svc, p), routeName(svc, p)) })));
  }
  const out: NamedResource[] = [];
  for (const name of new Set(names)) {
    const inbound = parseInboundName(name);
    if (inbound) {
      out.push({ name, resource: inboundListener(name, inbound.address, inbound.port, inboundAuthz(snap, proxy).http) });
      continue;
    }
    const target = resolveOutbound(snap, proxy, name);
    if (target) out.push({ name, resource: apiListener(name, routeName(target.service, target.port)) });
  }
  return out;
}
