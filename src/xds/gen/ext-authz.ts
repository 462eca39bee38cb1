/**
 * AuthorizationPolicies with action CUSTOM: requests they match are sent to an external authorization service, an
 * extensionProviders entry of the mesh config (envoyExtAuthzHttp, envoyExtAuthzGrpc), which allows or denies them,
 * as istiod builds it. An RBAC filter in shadow mode only marks what the policies match (its shadow rules' policy
 * ids start with `istio-ext-authz-<provider>`, in dynamic metadata under `istio_ext_authz_`), and the ext_authz
 * filter after it calls the service for the marked requests alone. On TCP chains only a gRPC provider can check
 * connections (Envoy's network ext_authz). Where a provider is unknown, its service is not one the proxy sees, a
 * workload has CUSTOM policies naming two providers, or the proxy is a proxyless gRPC server (no ext_authz), the
 * matched requests are denied instead (authz.ts), as istiod does. Pure.
 */
import type { Config, ExtAuthzProvider, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { asObject } from '../../model/selectors.js';
import { duration } from '../proto.js';
import { type Json, any } from './common.js';
import { serviceCluster } from './context.js';
import { resolveServiceRef } from '../../model/hosts.js';

/** Where a workload's CUSTOM policies go: the provider and its service's cluster as the proxy sees it. */
export interface ExtAuthzTarget {
  name: string;
  provider: ExtAuthzProvider;
  cluster: string;
  host: string;
}

const RBAC_METADATA = 'envoy.filters.http.rbac';
const NETWORK_RBAC_METADATA = 'envoy.filters.network.rbac';
export const EXT_AUTHZ_PREFIX = 'istio-ext-authz';
const SHADOW_PREFIX = 'istio_ext_authz_';

export const isCustom = (p: Config): boolean => p.spec?.action === 'CUSTOM';
const providerOf = (p: Config): string => {
  const name = asObject(p.spec?.provider).name;
  return typeof name === 'string' ? name : '';
};

/**
 * The target of these (applicable) policies' CUSTOM ones; undefined when there are none or they cannot be sent
 * anywhere (then they deny).
 */
export function extAuthzTarget(snap: Snapshot, proxy: Proxy, policies: readonly Config[]): ExtAuthzTarget | undefined {
  const names = new Set(policies.filter(isCustom).map(providerOf));
  if (names.size !== 1 || proxy.generator === 'grpc') return undefined;
  const [name] = names as Set<string>;
  const provider = snap.mesh.authzProviders?.[name!];
  if (!provider) return undefined;
  // `namespace/host`, or a host in the proxy's namespace (the analyzer resolves it the same way).
  const found = serviceCluster(snap, proxy, resolveServiceRef(provider.service, proxy.namespace, snap.domainSuffix), provider.port);
  return found ? { name: name!, provider, ...found } : undefined;
}

/** The RBAC policy name of a CUSTOM rule: istiod's, so the ext_authz filter can recognise it. */
export const customRuleName = (provider: string, namespace: string, policy: string, rule: number): string => `${EXT_AUTHZ_PREFIX}-${provider}-ns[${namespace}]-policy[${policy}]-rule[${rule}]`;

const enabledBy = (filter: string, provider: string): Json => ({
  filter,
  path: [{ key: `${SHADOW_PREFIX}shadow_effective_policy_id` }],
  value: { string_match: { prefix: `${EXT_AUTHZ_PREFIX}-${provider}` } },
});

/** Istio's header patterns: "x-*" a prefix, "*-id" a suffix, else the exact name; case-insensitive. */
const headerList = (names: readonly string[] | undefined): Json | undefined =>
  names && names.length > 0
    ? { patterns: names.map((h) => (h.startsWith('*') ? { suffix: h.slice(1), ignore_case: true } : h.endsWith('*') ? { prefix: h.slice(0, -1), ignore_case: true } : { exact: h, ignore_case: true })) }
    : undefined;

function grpcService(t: ExtAuthzTarget): Json {
  return { envoy_grpc: { cluster_name: t.cluster, authority: t.host }, timeout: duration(t.provider.timeoutMs) };
}

function httpService(t: ExtAuthzTarget): Json {
  const p = t.provider;
  const extra = Object.entries(p.additionalHeaders ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const response: Json = {};
  const upstream = headerList(p.upstreamOnAllow);
  const onDeny = headerList(p.downstreamOnDeny);
  const onAllow = headerList(p.downstreamOnAllow);
  if (upstream) response.allowed_upstream_headers = upstream;
  if (onDeny) response.allowed_client_headers = onDeny;
  if (onAllow) response.allowed_client_headers_on_success = onAllow;
  return {
    server_uri: { uri: `http://${t.host}`, cluster: t.cluster, timeout: duration(p.timeoutMs) },
    ...(p.pathPrefix ? { path_prefix: p.pathPrefix } : {}),
    ...(extra.length > 0 ? { authorization_request: { headers_to_add: extra.map(([key, value]) => ({ key, value })) } } : {}),
    ...(Object.keys(response).length > 0 ? { authorization_response: response } : {}),
  };
}

/** The HTTP filters for CUSTOM policies: the marking RBAC filter (`shadowRules`), then ext_authz. */
export function customHttpFilters(t: ExtAuthzTarget, shadowRules: Json): Json[] {
  const p = t.provider;
  const ext: Json = {
    transport_api_version: 'V3',
    ...(t.provider.kind === 'grpc' ? { grpc_service: grpcService(t) } : { http_service: httpService(t) }),
    ...(p.failOpen ? { failure_mode_allow: true } : {}),
    ...(p.statusOnError ? { status_on_error: { code: p.statusOnError } } : {}),
    ...(p.clearRouteCache ? { clear_route_cache: true } : {}),
    ...(p.kind === 'http' && headerList(p.requestHeaders) ? { allowed_headers: headerList(p.requestHeaders) } : {}),
    ...(p.requestBody
      ? { with_request_body: { max_request_bytes: p.requestBody.maxRequestBytes ?? 8192, allow_partial_message: p.requestBody.allowPartialMessage, pack_as_bytes: p.requestBody.packAsBytes } }
      : {}),
    filter_enabled_metadata: enabledBy(RBAC_METADATA, t.name),
  };
  return [
    { name: 'envoy.filters.http.rbac.custom', typed_config: any('envoy.extensions.filters.http.rbac.v3.RBAC', { shadow_rules: shadowRules, shadow_rules_stat_prefix: SHADOW_PREFIX }) },
    { name: 'envoy.filters.http.ext_authz', typed_config: any('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz', ext) },
  ];
}

/** The network filters for CUSTOM policies on a TCP chain; undefined for an HTTP provider, which cannot check TCP. */
export function customTcpFilters(t: ExtAuthzTarget, shadowRules: Json): Json[] | undefined {
  if (t.provider.kind !== 'grpc') return undefined;
  return [
    { name: 'envoy.filters.network.rbac.custom', typed_config: any('envoy.extensions.filters.network.rbac.v3.RBAC', { stat_prefix: 'tcp.', shadow_rules: shadowRules, shadow_rules_stat_prefix: SHADOW_PREFIX }) },
    {
      name: 'envoy.filters.network.ext_authz',
      typed_config: any('envoy.extensions.filters.network.ext_authz.v3.ExtAuthz', {
        stat_prefix: 'tcp.',
        grpc_service: grpcService(t),
        transport_api_version: 'V3',
        ...(t.provider.failOpen ? { failure_mode_allow: true } : {}),
        filter_enabled_metadata: enabledBy(NETWORK_RBAC_METADATA, t.name),
      }),
    },
  ];
}
