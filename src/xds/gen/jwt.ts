/**
 * RequestAuthentication → Envoy's jwt_authn filter on a workload's inbound HTTP (sidecars) and on gateways, as
 * istiod builds it when Envoy fetches the keys itself.
 *
 * Which policies: those selected as AuthorizationPolicies are (authz.ts policiesFor: the workload's namespace and
 * the root namespaces, selector empty or matching); all of their jwtRules apply together, one provider each
 * (`origins-<i>`). Istio's semantics: a request without a token passes (an AuthorizationPolicy decides whether
 * it may), a request with a token that no provider accepts is refused with 401. With one provider the requirement
 * is "it, or missing"; with several, "any of them, or (each of them or missing)", so a token in a location two
 * providers share needs to satisfy only one. Each provider leaves the verified payload in the request's metadata
 * under `payload`, where the RBAC filters read request principals and claims (authz.ts), and a gateway's routes the
 * claims they match (httproute.ts; its providers clear the route cache, as istiod's do on gateways).
 *
 * Keys: inline `jwks`, or `jwksUri` fetched by Envoy through the outbound cluster of the registry service that
 * hosts it (a ServiceEntry for an external identity provider, with a DestinationRule originating TLS when the URI
 * is https). A URI outside the registry, or a rule with neither (istiod would discover the keys from the issuer;
 * mizzen does not fetch anything), gets keys no token can match: such tokens are refused, never let through
 * unchecked (validation says so for a rule without keys, analysis MZ0006 for a URI outside the mesh). Proxyless
 * gRPC servers have no JWT filter and are not given one. Pure.
 */
import type { Config, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { asArray, asObject, nonEmptyStrings } from '../../model/selectors.js';
import { parseDurationMs, duration } from '../proto.js';
import { type Json, JWT_FILTER, JWT_PAYLOAD_KEY, any, outboundClusterName } from './common.js';
import { labelsKey, memoOn, proxyLabels } from './context.js';
import { policiesFor } from './authz.js';
import { rootNamespacesOf, rootsKey } from '../../model/root-namespaces.js';
import { jwksAddress, parseJwks } from '../../validation/requestauthentication.js';
import { definitionFor } from './host-definitions.js';

/**
 * A key set no token can satisfy: the public half of an RSA key whose private half was discarded when it was
 * made. For issuers whose keys mizzen cannot give Envoy: their tokens fail verification.
 */
const UNUSABLE_JWKS = JSON.stringify({
  keys: [
    {
      kty: 'RSA',
      alg: 'RS256',
      use: 'sig',
      kid: 'mizzen-no-keys',
      e: 'AQAB',
      n: 'xnEZwqpgxbM-44HTg4osXYz6OX17icnKHQaqPIha66UGH9DV7Z0ufedfc9YNmNEPsBUwXq4VtL229l3-ZT4tDX_VYgEh2kYB9g7LOOQcD7lWuK-3pxUKEOMz6UBpLgEiYWMM0uHCsXiyOH0tbTYSC9IAFNDP3Unbychna-hA66J3U9qhA9mu_-m5MvMSkg8pHkND2fNbcFiufpIw7OtZzoZA3RlrJutTym_2SsuJmdo9nhnVZKnQa_2OCGFQRUq27xgfA03Iz-zGSHe8yVbyaGzD0D8YCq5EqTBZtfug3HRgQ_OAPPpqqg2CgX5Vanf_4eyDnIRlBGAf4WuuK1DTsw',
    },
  ],
});

/** Claims Envoy splits on spaces before they reach the metadata, as istiod always asks. */
const SPACE_DELIMITED = ['scope', 'permission'];
const DEFAULT_TIMEOUT_MS = 5000;
const JWKS_CACHE = { seconds: 300 };


/**
 * The registry cluster that serves a JWKS URI (`outbound|<port>||<host>`), or undefined when no service visible in
 * `namespace` has that host and port (its definition there: host-definitions.ts), so that the filter never names a
 * cluster the proxy lacks.
 */
export function jwksCluster(snap: Snapshot, uri: string, namespace: string): string | undefined {
  const at = jwksAddress(uri);
  const svc = at && definitionFor(snap, namespace, at.host);
  return svc?.ports.some((p) => p.port === at!.port) ? outboundClusterName(at!.port, '', at!.host) : undefined;
}

function keySource(snap: Snapshot, rule: Json, namespace: string): Json {
  // A key set Envoy could not read would fail its listener: such a rule verifies nothing instead (validation refuses it).
  if (typeof rule.jwks === 'string' && rule.jwks !== '') return { local_jwks: { inline_string: typeof parseJwks(rule.jwks) === 'string' ? UNUSABLE_JWKS : rule.jwks } };
  const uri = [rule.jwksUri, rule.jwks_uri].find((u): u is string => typeof u === 'string' && u !== '');
  const cluster = uri && jwksCluster(snap, uri, namespace);
  if (!uri || !cluster) return { local_jwks: { inline_string: UNUSABLE_JWKS } };
  const ms = typeof rule.timeout === 'string' ? parseDurationMs(rule.timeout) : undefined;
  return { remote_jwks: { http_uri: { uri, cluster, timeout: duration(ms && ms > 0 ? ms : DEFAULT_TIMEOUT_MS) }, cache_duration: JWKS_CACHE } };
}

function provider(snap: Snapshot, rule: Json, clearRouteCache: boolean, namespace: string): Json {
  const headers = asArray(rule.fromHeaders)
    .map(asObject)
    .filter((h) => typeof h.name === 'string' && h.name !== '')
    .map((h) => ({ name: h.name, ...(typeof h.prefix === 'string' && h.prefix !== '' ? { value_prefix: h.prefix } : {}) }));
  const claims = asArray(rule.outputClaimToHeaders)
    .map(asObject)
    .filter((c) => typeof c.header === 'string' && c.header !== '' && typeof c.claim === 'string' && c.claim !== '')
    .map((c) => ({ header_name: c.header, claim_name: c.claim }));
  return {
    ...(typeof rule.issuer === 'string' && rule.issuer !== '' ? { issuer: rule.issuer } : {}),
    ...(nonEmptyStrings(rule.audiences).length > 0 ? { audiences: nonEmptyStrings(rule.audiences) } : {}),
    ...keySource(snap, rule, namespace),
    ...(rule.forwardOriginalToken === true ? { forward: true } : {}),
    ...(headers.length > 0 ? { from_headers: headers } : {}),
    ...(nonEmptyStrings(rule.fromParams).length > 0 ? { from_params: nonEmptyStrings(rule.fromParams) } : {}),
    ...(nonEmptyStrings(rule.fromCookies).length > 0 ? { from_cookies: nonEmptyStrings(rule.fromCookies) } : {}),
    ...(typeof rule.outputPayloadToHeader === 'string' && rule.outputPayloadToHeader !== '' ? { forward_payload_header: rule.outputPayloadToHeader } : {}),
    ...(claims.length > 0 ? { claim_to_headers: claims } : {}),
    payload_in_metadata: JWT_PAYLOAD_KEY,
    normalize_payload_in_metadata: { space_delimited_claims: [...new Set([...SPACE_DELIMITED, ...nonEmptyStrings(rule.spaceDelimitedClaims)])] },
    // On a gateway, routes may match the verified claims (httproute.ts): the route is chosen again once they are known.
    ...(clearRouteCache ? { clear_route_cache: true } : {}),
  };
}

/** The requirement over providers `names`: a token, when present, must satisfy one of them. */
function requirement(names: readonly string[]): Json {
  const orMissing = (name: string): Json => ({ requires_any: { requirements: [{ provider_name: name }, { allow_missing: {} }] } });
  if (names.length === 1) return orMissing(names[0]!);
  return { requires_any: { requirements: [...names.map((provider_name) => ({ provider_name })), { requires_all: { requirements: names.map(orMissing) } }] } };
}

/**
 * The jwt_authn filter for these policies' rules, for a proxy of `namespace`; undefined when they have none.
 * `clearRouteCache` (gateways, as istiod sets it): a verified token makes Envoy choose the route again, so that
 * routes on its claims see them.
 */
export function jwtFilterOf(snap: Snapshot, policies: readonly Config[], namespace: string, clearRouteCache = false): Json | undefined {
  const rules = policies.flatMap((p) => asArray(asObject(p.spec).jwtRules)).filter((r): r is Json => typeof r === 'object' && r !== null && !Array.isArray(r));
  if (rules.length === 0) return undefined;
  const providers: Json = {};
  rules.forEach((r, i) => (providers[`origins-${i}`] = provider(snap, r, clearRouteCache, namespace)));
  return {
    name: JWT_FILTER,
    typed_config: any('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication', {
      providers,
      rules: [{ match: { prefix: '/' }, requires: requirement(Object.keys(providers)) }],
      bypass_cors_preflight: true,
    }),
  };
}

const NONE: readonly Json[] = [];
const memo = new WeakMap<readonly Config[], Map<string, { services?: Snapshot['services']; filters: readonly Json[] }>>();

/** The HTTP filters (the jwt_authn filter, or none) to put first on a proxy's inbound connection managers. */
export function inboundJwt(snap: Snapshot, proxy: Proxy): readonly Json[] {
  if (snap.requestAuthentications.length === 0) return NONE;
  const labels = proxyLabels(snap, proxy);
  const roots = rootNamespacesOf(snap.mesh);
  const key = `${proxy.type}\n${rootsKey(roots)}\n${proxy.namespace}\n${labelsKey(labels)}`;
  // Key sources look services up: a remembered filter holds while the services stay the same.
  const entry = memoOn(memo, snap.requestAuthentications, key, () => ({ filters: NONE }) as { services?: Snapshot['services']; filters: readonly Json[] });
  if (entry.services !== snap.services) {
    const filter = jwtFilterOf(snap, policiesFor(snap.requestAuthentications, proxy.namespace, labels, roots), proxy.namespace, proxy.type === 'router');
    entry.filters = filter ? [filter] : NONE;
    entry.services = snap.services;
  }
  return entry.filters;
}
