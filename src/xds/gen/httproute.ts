/**
 * One VirtualService HTTP rule → Envoy routes (one per match): matches, weighted destinations, retries, timeouts,
 * fault injection, mirroring, rewrites, redirects, direct responses, header edits and CORS, as Istio translates
 * them. Malformed parts are dropped, never thrown. Delegating rules arrive merged with their delegate's
 * (delegation.ts); one that still delegates (its delegate missing) yields nothing.
 */
import type { Config, Snapshot } from '../../model/types.js';
import { asArray, asObject, asPort, matchesLabels } from '../../model/selectors.js';
import {
  type Json, FULL_PERCENT, UINT32_MAX, ZERO_DURATION, any, intPercentOf, outboundClusterName, percentOf, stringMatcher, toDuration, jwtClaimMatcher,
} from './common.js';
import { destinationRuleForCluster, resolveHost } from './context.js';
import { destinationConsistentHash, hashPolicy } from './policy.js';
import { isAuthorityHeader, routingClaims } from '../../validation/headers.js';
import { ROUTE_SEMANTICS } from '../../model/gateway-api.js';
import { hostService } from './host-definitions.js';

export interface RouteContext {
  snap: Snapshot;
  /** Namespace of the proxy (DestinationRule lookup). */
  proxyNamespace: string;
  proxyLabels: Record<string, string>;
  /** The listener/service port the route configuration serves (sidecars); undefined for gateways. */
  port?: number;
  /** The references this proxy answers to in `match.gateways`: `mesh` for sidecars, its Gateway's (gatewayNames) for gateways. */
  gateways: GatewayNames;
  /** ProxyConfig's proxyHeaders.xForwardedHost: a rule that rewrites appends x-forwarded-host (proxy-headers.ts). */
  forwardedHost?: boolean;
}

/** Which gateway references (`mesh`, or a Gateway in one of its forms) name the proxy routes are made for. */
export interface GatewayNames {
  has(ref: string): boolean;
}

export const HTTP_FAULT_FILTER = 'envoy.filters.http.fault';
export const CORS_FILTER = 'envoy.filters.http.cors';
export const ROUTER_FILTER = 'envoy.filters.http.router';

/** Envoy's predicate that makes a retry prefer a host not tried yet. */
const previousHosts = (): Json => ({ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: any('envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate') });

/**
 * Istio's default retry policy for routes without `retries`. Retries go to another host, except on a route that
 * hashes consistently (`sticky`): there the retry stays with the host the hash picked, as istiod does.
 */
export const defaultRetryPolicy = (sticky = false): Json => ({
  retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
  num_retries: { value: 2 },
  host_selection_retry_max_attempts: 5,
  ...(sticky ? {} : { retry_host_predicate: [previousHosts()] }),
});

/** Cluster name of a Destination (host resolved in the VirtualService namespace); undefined when no port can be chosen. */
export function destinationCluster(ctx: RouteContext, vsNamespace: string, dest: unknown): string | undefined {
  const d = asObject(dest);
  if (typeof d.host !== 'string' || d.host === '') return undefined;
  const host = resolveHost(d.host, vsNamespace, ctx.snap.domainSuffix);
  const svc = hostService(ctx.snap, ctx.proxyNamespace, host);
  let port = asPort(asObject(d.port).number);
  if (port === undefined && svc?.ports.length === 1) port = svc.ports[0]!.port;
  if (port === undefined && ctx.port !== undefined && (!svc || svc.ports.some((p) => p.port === ctx.port))) port = ctx.port;
  if (port === undefined) return undefined;
  return outboundClusterName(port, typeof d.subset === 'string' ? d.subset : '', host);
}

/** Pseudo-headers and Host: Envoy refuses to edit them (and the whole route table with them). */
const isInternalHeader = (key: string): boolean => key.startsWith(':') || key.toLowerCase() === 'host';

/** set/add/remove of one direction; `authority`: the Host a set (else an add) of host/:authority asks for. */
function headerOps(h: unknown): { add: Json[]; remove: string[]; authority: string | undefined } {
  const o = asObject(h);
  const add: Json[] = [];
  const authority: { set?: string; add?: string } = {};
  for (const [op, action] of [['set', 'OVERWRITE_IF_EXISTS_OR_ADD'], ['add', 'APPEND_IF_EXISTS_OR_ADD']] as const) {
    for (const [key, value] of Object.entries(asObject(o[op]))) {
      if (typeof value !== 'string' || !key) continue;
      if (isAuthorityHeader(key)) authority[op] = value;
      if (!isInternalHeader(key)) add.push({ header: { key, value }, append_action: action });
    }
  }
  const remove = asArray(o.remove).filter((x): x is string => typeof x === 'string' && x !== '' && !isInternalHeader(x));
  return { add, remove, authority: authority.set || authority.add || undefined };
}

/**
 * An Istio Headers object as istiod's TranslateHeadersOperations: request/response edits as route (or weighted
 * cluster) fields, pseudo-headers and Host left out; a request set/add of host or :authority becomes `authority`,
 * for host_rewrite_literal. Response edits of those are dropped.
 */
function headerEdits(headers: unknown): { fields: Json; authority: string | undefined } {
  const h = asObject(headers);
  const req = headerOps(h.request);
  const res = headerOps(h.response);
  const fields: Json = {};
  if (req.add.length) fields.request_headers_to_add = req.add;
  if (req.remove.length) fields.request_headers_to_remove = req.remove;
  if (res.add.length) fields.response_headers_to_add = res.add;
  if (res.remove.length) fields.response_headers_to_remove = res.remove;
  return { fields, authority: req.authority };
}

/**
 * Istio StringMatch → Envoy StringMatcher for header and query matches; undefined for a presence check, as istiod
 * reads no match at all and the regex `*` (not a valid RE2 expression: Envoy would reject the whole route table).
 */
function valueMatcher(m: unknown): Json | undefined {
  return asObject(m).regex === '*' ? undefined : stringMatcher(m);
}

/**
 * A header match; inverted for withoutHeaders, where a missing header counts as empty, so a request without it
 * passes `withoutHeaders: {x: {exact: v}}` (Envoy would fail the match instead), as istiod sets it (except for
 * presence checks, which that option conflicts with).
 */
function headerMatcher(name: string, m: unknown, invert = false): Json {
  const sm = valueMatcher(m);
  return {
    name,
    ...(sm ? { string_match: sm } : { present_match: true }),
    ...(invert ? { invert_match: true, ...(sm ? { treat_missing_header_as_empty: true } : {}) } : {}),
  };
}

/** A claim's value matched as a header's would be; a presence check (`{}`, regex `*`) asks only that the claim be there. */
function claimMatcher(path: readonly string[], m: unknown): Json {
  const sm = valueMatcher(m);
  return jwtClaimMatcher(path, sm ? { string_match: sm } : { present_match: true });
}

/**
 * Whether a VirtualService match's port, when set, is `port` (when known), and its gateways, when set, name this
 * proxy (`gateways`: the names it answers to).
 */
export function matchesPortAndGateways(m: Json, port: number | undefined, gateways: GatewayNames): boolean {
  const p = asPort(m.port);
  if (p !== undefined && port !== undefined && p !== port) return false;
  const gws = asArray(m.gateways).filter((g): g is string => typeof g === 'string');
  return gws.length === 0 || gws.some((g) => gateways.has(g));
}

/** Whether a VirtualService was made from Gateway API routes (model/gateway-api.ts), whose semantics differ a little. */
const gatewaySemantics = (vs: Config): boolean => vs.annotations[ROUTE_SEMANTICS] === 'gateway';
/** How a VirtualService's prefixes match: whole path segments for those made from Gateway API routes and Ingresses (model/ingress.ts). */
const prefixSemantics = (vs: Config): Segments => (vs.annotations[ROUTE_SEMANTICS] === 'gateway' ? 'gateway' : vs.annotations[ROUTE_SEMANTICS] === 'ingress' ? 'ingress' : undefined);
type Segments = 'gateway' | 'ingress' | undefined;

/**
 * A HTTPMatchRequest → RouteMatch; undefined when it cannot apply to this proxy/port. `segments`: a prefix matches
 * whole path segments (`/foo` matches /foo and /foo/bar, not /foobar), as Gateway API routes ask.
 */
function routeMatch(ctx: RouteContext, m: Json, segments: Segments): Json | undefined {
  if (!matchesPortAndGateways(m, ctx.port, ctx.gateways)) return undefined;
  if (m.sourceLabels && !matchesLabels(ctx.proxyLabels, asObject(m.sourceLabels) as Record<string, string>)) return undefined;
  if (typeof m.sourceNamespace === 'string' && m.sourceNamespace && m.sourceNamespace !== ctx.proxyNamespace) return undefined;
  const out: Json = {};
  const uri = asObject(m.uri);
  if (typeof uri.exact === 'string') out.path = uri.exact;
  else if (typeof uri.prefix === 'string') {
    // An Ingress's Prefix path `/foo/` matches /foo too: one trailing slash goes, as istiod drops it.
    const prefix = segments === 'ingress' && uri.prefix !== '/' ? uri.prefix.replace(/\/$/, '') : uri.prefix;
    // Envoy takes a segment prefix only without a trailing slash, `?` or `#`; / matches every path either way.
    if (segments && /^[^?#]*[^?#/]$/.test(prefix)) out.path_separated_prefix = prefix;
    else out.prefix = uri.prefix;
  }
  else if (typeof uri.regex === 'string') out.safe_regex = { regex: uri.regex };
  else out.prefix = '/';
  if (m.ignoreUriCase === true) out.case_sensitive = { value: false };
  const headers: Json[] = [];
  // A JWT claim (@request.auth.claims…) is matched in the payload the gateway's JWT filter verified, as istiod does.
  const claims: Json[] = [];
  for (const [name, v] of Object.entries(asObject(m.headers))) {
    const path = routingClaims(name);
    if (path) claims.push(claimMatcher(path, v));
    else headers.push(headerMatcher(name.toLowerCase(), v));
  }
  for (const [name, v] of Object.entries(asObject(m.withoutHeaders))) {
    const path = routingClaims(name);
    if (path) claims.push({ ...claimMatcher(path, v), invert: true });
    else headers.push(headerMatcher(name.toLowerCase(), v, true));
  }
  if (m.method) headers.push(headerMatcher(':method', m.method));
  if (m.authority) headers.push(headerMatcher(':authority', m.authority));
  if (m.scheme) headers.push(headerMatcher(':scheme', m.scheme));
  if (headers.length) out.headers = headers;
  if (claims.length) out.dynamic_metadata = claims;
  const qps: Json[] = [];
  for (const [name, v] of Object.entries(asObject(m.queryParams))) {
    const sm = valueMatcher(v);
    qps.push({ name, ...(sm ? { string_match: sm } : { present_match: true }) });
  }
  if (qps.length) out.query_parameters = qps;
  return out;
}

/** A positive whole `attempts` of an HTTPRetry, else 0 (no retries). */
const attemptsOf = (r: Json): number => (typeof r.attempts === 'number' && Number.isInteger(r.attempts) && r.attempts > 0 ? Math.min(r.attempts, UINT32_MAX) : 0);

/** An HTTPRetry's retryOn and backoff onto a RetryPolicy: status codes in retryOn become retriable_status_codes. */
function retryOnAndBackoff(r: Json, out: Json): void {
  if (typeof r.retryOn === 'string' && r.retryOn.trim()) {
    const parts = r.retryOn.split(',').map((s: string) => s.trim()).filter(Boolean);
    const codes = parts.filter((p: string) => /^\d{3}$/.test(p)).map(Number);
    const words = parts.filter((p: string) => !/^\d{3}$/.test(p));
    if (codes.length && !words.includes('retriable-status-codes')) words.push('retriable-status-codes');
    out.retry_on = words.join(',');
    if (codes.length) out.retriable_status_codes = codes;
  }
  const backoff = toDuration(r.backoff);
  if (backoff && (backoff.seconds > 0 || backoff.nanos > 0)) out.retry_back_off = { base_interval: backoff };
}

/**
 * A rule's `retries` → RetryPolicy, as istiod's ConvertPolicy: none given → the mesh config's
 * defaultHttpRetryPolicy (`meshRetries`), read the same way, or without one the default; given without a positive
 * `attempts` (`retries: {}` included) → no retries at all; else the default with the rule's fields over it.
 */
function retryPolicy(retries: unknown, sticky: boolean, meshRetries?: unknown): Json | undefined {
  if (retries === undefined || retries === null) {
    if (meshRetries === undefined || meshRetries === null) return defaultRetryPolicy(sticky);
    retries = meshRetries;
  }
  const r = asObject(retries);
  const attempts = attemptsOf(r);
  if (attempts === 0) return undefined;
  const out = defaultRetryPolicy(sticky);
  out.num_retries = { value: attempts };
  retryOnAndBackoff(r, out);
  const perTry = toDuration(r.perTryTimeout);
  if (perTry) out.per_try_timeout = perTry;
  if (typeof r.retryIgnorePreviousHosts === 'boolean') {
    if (r.retryIgnorePreviousHosts) out.retry_host_predicate = [previousHosts()];
    else delete out.retry_host_predicate;
  }
  // Retries to other localities: Envoy's previous-priorities plugin, updated every 2 attempts, as istiod sets it.
  if (r.retryRemoteLocalities === true) {
    out.retry_priority = {
      name: 'envoy.retry_priorities.previous_priorities',
      typed_config: any('envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig', { update_frequency: 2 }),
    };
  }
  return out;
}

const GRPC_CODES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

/** A given Istio Percent (`{}` being 0%) → FractionalPercent; undefined when not given. */
const givenPercent = (p: unknown): Json | undefined => (p === undefined || p === null ? undefined : percentOf(typeof asObject(p).value === 'number' ? p : 0));

/**
 * A rule's fault → HTTPFault, as istiod's TranslateFault: without `percentage` a delay takes the old integer
 * `percent`, 0 when unset, and an abort has no percentage, which Envoy reads as 0%: no request is faulted (the API
 * says "if left unspecified, no request will be delayed").
 */
function fault(f: unknown): Json | undefined {
  const o = asObject(f);
  const out: Json = {};
  const delay = asObject(o.delay);
  const fixed = toDuration(delay.fixedDelay);
  if (fixed) out.delay = { fixed_delay: fixed, percentage: givenPercent(delay.percentage) ?? intPercentOf(delay.percent) ?? { numerator: 0, denominator: 'HUNDRED' } };
  const abort = asObject(o.abort);
  const percentage = givenPercent(abort.percentage);
  const pct = percentage ? { percentage } : {};
  if (typeof abort.httpStatus === 'number' && abort.httpStatus >= 200 && abort.httpStatus < 600) out.abort = { http_status: abort.httpStatus, ...pct };
  else if (typeof abort.grpcStatus === 'string' && GRPC_CODES.includes(abort.grpcStatus)) out.abort = { grpc_status: GRPC_CODES.indexOf(abort.grpcStatus), ...pct };
  if (!out.delay && !out.abort) return undefined;
  return any('envoy.extensions.filters.http.fault.v3.HTTPFault', out);
}

function cors(c: unknown): Json | undefined {
  const o = asObject(c);
  if (Object.keys(o).length === 0) return undefined;
  const origins: Json[] = [];
  for (const m of asArray(o.allowOrigins)) {
    const sm = stringMatcher(m);
    if (sm) origins.push(sm);
  }
  for (const s of asArray(o.allowOrigin)) if (typeof s === 'string') origins.push({ exact: s });
  const list = (v: unknown): string | undefined => {
    const items = asArray(v).filter((x): x is string => typeof x === 'string');
    return items.length ? items.join(',') : undefined;
  };
  const out: Json = {};
  if (origins.length) out.allow_origin_string_match = origins;
  const methods = list(o.allowMethods);
  if (methods) out.allow_methods = methods;
  const headers = list(o.allowHeaders);
  if (headers) out.allow_headers = headers;
  const expose = list(o.exposeHeaders);
  if (expose) out.expose_headers = expose;
  const maxAge = toDuration(o.maxAge);
  if (maxAge) out.max_age = String(maxAge.seconds);
  if (typeof o.allowCredentials === 'boolean') out.allow_credentials = { value: o.allowCredentials };
  // Preflights no origin matches go on to the app unless IGNORE says otherwise (istiod sets this field every time).
  out.forward_not_matching_preflights = { value: o.unmatchedPreflights !== 'IGNORE' };
  return any('envoy.extensions.filters.http.cors.v3.CorsPolicy', out);
}

const REDIRECT_CODES: Record<number, string> = { 301: 'MOVED_PERMANENTLY', 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT' };

/** An HTTPRedirect, as istiod's ApplyRedirect: `listenerPort`, the port the route serves (for derivePort FROM_REQUEST_PORT). */
function redirect(r: Json, listenerPort: number | undefined): Json {
  const out: Json = {};
  // prefixRewrite replaces the matched prefix; else uri replaces the whole path.
  if (typeof r.prefixRewrite === 'string' && r.prefixRewrite) out.prefix_rewrite = r.prefixRewrite;
  else if (typeof r.uri === 'string' && r.uri) out.path_redirect = r.uri;
  if (typeof r.authority === 'string' && r.authority) out.host_redirect = r.authority;
  const port = r.derivePort === 'FROM_REQUEST_PORT' ? listenerPort : asPort(r.port);
  const scheme = typeof r.scheme === 'string' && r.scheme ? r.scheme : undefined;
  // No explicit :80 for http nor :443 for https.
  if (port !== undefined && !(port === 80 && scheme !== 'https') && !(port === 443 && scheme !== 'http')) out.port_redirect = port;
  if (scheme) out.scheme_redirect = scheme;
  if (typeof r.redirectCode === 'number' && REDIRECT_CODES[r.redirectCode]) out.response_code = REDIRECT_CODES[r.redirectCode];
  return out;
}

function directResponse(d: Json): Json | undefined {
  if (typeof d.status !== 'number' || d.status < 200 || d.status >= 600) return undefined;
  const body = asObject(d.body);
  return {
    status: d.status,
    ...(typeof body.string === 'string' ? { body: { inline_string: body.string } } : typeof body.bytes === 'string' ? { body: { inline_bytes: body.bytes } } : {}),
  };
}

function mirrors(ctx: RouteContext, vs: Config, rule: Json): Json[] {
  const out: Json[] = [];
  const add = (dest: unknown, pct: Json | undefined): void => {
    const cluster = destinationCluster(ctx, vs.namespace, dest);
    if (cluster) out.push({ cluster, runtime_fraction: { default_value: pct ?? FULL_PERCENT } });
  };
  if (rule.mirror) add(rule.mirror, percentOf(rule.mirrorPercentage) ?? intPercentOf(rule.mirrorPercent ?? rule.mirror_percent));
  for (const m of asArray(rule.mirrors)) add(asObject(m).destination, percentOf(asObject(m).percentage));
  return out;
}

/** The RouteAction for a rule's destinations (`ruleAuthority`: the Host the rule's own header edits set); undefined when no destination resolves. */
function routeAction(ctx: RouteContext, vs: Config, rule: Json, ruleAuthority: string | undefined): Json | undefined {
  const dests: Array<{ cluster: string; weight: number; headers: ReturnType<typeof headerEdits>; hash: Json | undefined }> = [];
  for (const raw of asArray(rule.route)) {
    const rd = asObject(raw);
    const cluster = destinationCluster(ctx, vs.namespace, rd.destination);
    if (!cluster) continue;
    const weight = typeof rd.weight === 'number' && Number.isInteger(rd.weight) && rd.weight >= 0 ? rd.weight : -1;
    const hash = consistentHashOf(ctx, cluster, asPort(asObject(asObject(rd.destination).port).number));
    dests.push({ cluster, weight, headers: headerEdits(rd.headers), hash });
  }
  if (dests.length === 0) return undefined;
  const action: Json = {};
  // Unweighted destinations share equally when no weight is given; zero-weight ones are dropped.
  const given = dests.filter((d) => d.weight >= 0).reduce((n, d) => n + d.weight, 0);
  let live = dests.map((d) => ({ ...d, weight: d.weight >= 0 ? d.weight : given > 0 ? 0 : 1 })).filter((d) => d.weight > 0);
  if (live.length === 0) live = dests.map((d) => ({ ...d, weight: 1 }));
  if (live.length === 1) action.cluster = live[0]!.cluster;
  else {
    const clusters = live.map((d) => ({ name: d.cluster, weight: { value: d.weight }, ...d.headers.fields, ...(d.headers.authority ? { host_rewrite_literal: d.headers.authority } : {}) }));
    action.weighted_clusters = { clusters };
  }
  // A Gateway API route's backend it may not use has a cluster that does not exist: its share answers 500.
  if (gatewaySemantics(vs)) action.cluster_not_found_response_code = 'INTERNAL_SERVER_ERROR';
  Object.assign(action, routeTimeouts(toDuration(rule.timeout)));
  // A single destination whose DestinationRule hashes consistently keeps its retries on the hashed host.
  const sticky = asArray(rule.route).length === 1 && dests[0]!.hash !== undefined;
  const retry = retryPolicy(rule.retries, sticky, ctx.snap.mesh.httpRetries);
  if (retry) action.retry_policy = retry;
  const mirrorPolicies = mirrors(ctx, vs, rule);
  if (mirrorPolicies.length) action.request_mirror_policies = mirrorPolicies;
  const rw = asObject(rule.rewrite);
  if (typeof rw.uri === 'string' && rw.uri) action.prefix_rewrite = rw.uri;
  const rx = asObject(rw.uriRegexRewrite);
  if (typeof rx.match === 'string' && typeof rx.rewrite === 'string' && !action.prefix_rewrite) action.regex_rewrite = { pattern: { regex: rx.match }, substitution: rx.rewrite };
  // The Host: rewrite.authority, else a host/:authority header set on the rule, else on its only destination.
  const single = asArray(rule.route).length === 1 ? dests[0]!.headers.authority : undefined;
  const host = (typeof rw.authority === 'string' && rw.authority) || ruleAuthority || single;
  if (host) action.host_rewrite_literal = host;
  // As istiod: every rule with a rewrite, when the proxy's proxyHeaders ask for x-forwarded-host.
  if (ctx.forwardedHost && rule.rewrite !== undefined && rule.rewrite !== null) action.append_x_forwarded_host = true;
  // Consistent hashing: each routed destination's DestinationRule adds its hash policy, as in istiod.
  const hp = live.flatMap((d) => hashPolicy(d.hash) ?? []);
  if (hp.length) action.hash_policy = hp;
  return action;
}

/** The consistentHash a route to an outbound cluster uses (`explicitPort`: the port the destination names, if any). */
function consistentHashOf(ctx: RouteContext, cluster: string, explicitPort: number | undefined): Json | undefined {
  return destinationConsistentHash(destinationRuleForCluster(ctx.snap, ctx.proxyNamespace, cluster, ctx.proxyLabels), cluster.split('|')[2]!, explicitPort);
}

/**
 * A route's timeouts as istiod's setTimeout: the rule's timeout, or none (0s); and the same cap on the timeout a
 * gRPC client asks for in grpc-timeout (max_grpc_timeout, 0s: the client's own, unbounded). istiod keeps this
 * deprecated field rather than max_stream_duration, whose max_stream_duration would also end long-lived streams
 * (WebSockets, uploads) after the timeout.
 */
export function routeTimeouts(timeout: Json | undefined): Json {
  return { timeout: timeout ?? ZERO_DURATION, max_grpc_timeout: timeout ?? ZERO_DURATION };
}

/** The routes of one HTTP rule (one per applicable match; none when nothing applies or resolves). */
export function translateHttpRule(ctx: RouteContext, vs: Config, rawRule: unknown, index: number): Json[] {
  const rule = asObject(rawRule);
  // A rule still delegating had no delegate to merge (delegation.ts): Istio routes nothing for it, whatever else
  // it holds (a directResponse, say).
  if (rule.delegate) return [];
  const matches = asArray(rule.match).map(asObject);
  const routeMatches = (matches.length ? matches : [{}])
    .map((m) => ({ m, match: routeMatch(ctx, m, prefixSemantics(vs)) }))
    .filter((x): x is { m: Json; match: Json } => !!x.match);
  if (routeMatches.length === 0) return [];
  const ruleHeaders = headerEdits(rule.headers);
  const body: Json = {};
  if (rule.redirect) body.redirect = redirect(asObject(rule.redirect), ctx.port);
  else if (rule.directResponse) {
    const dr = directResponse(asObject(rule.directResponse));
    if (!dr) return [];
    body.direct_response = dr;
  } else {
    const action = routeAction(ctx, vs, rule, ruleHeaders.authority);
    if (!action) return [];
    body.route = action;
  }
  const perFilter: Json = {};
  const f = fault(rule.fault);
  if (f) perFilter[HTTP_FAULT_FILTER] = f;
  const c = cors(rule.corsPolicy);
  if (c) perFilter[CORS_FILTER] = c;
  const headers = ruleHeaders.fields;
  // A single destination's header edits apply to the whole route.
  const single = asArray(rule.route).length === 1 ? headerEdits(asObject(asArray(rule.route)[0]).headers).fields : {};
  for (const [k, v] of Object.entries(single)) headers[k] = [...(headers[k] ?? []), ...v];
  const name = typeof rule.name === 'string' && rule.name ? rule.name : `${vs.namespace}/${vs.name}/${index}`;
  return routeMatches.map(({ m, match }) => {
    const matchName = typeof m.name === 'string' && m.name ? `${name}.${m.name}` : name;
    // A match's statPrefix names the route's own statistics (Envoy's vhost.route.<prefix>.*), as istiod sets it.
    const stats = typeof m.statPrefix === 'string' && m.statPrefix ? { stat_prefix: m.statPrefix } : {};
    return { name: matchName, match, ...body, ...headers, ...(Object.keys(perFilter).length ? { typed_per_filter_config: perFilter } : {}), ...stats, decorator: { operation: `${vs.name}.${vs.namespace}` } };
  });
}

/**
 * Istio's route when no VirtualService applies: everything to the service's port cluster, retried as the mesh
 * config's defaultHttpRetryPolicy (`meshRetries`) says, else as Istio's default (which moves to another host even
 * when the route hashes, as istiod's default route does).
 */
export function defaultRoute(cluster: string, hash?: Json[], meshRetries?: unknown): Json {
  const retry = retryPolicy(undefined, false, meshRetries);
  return {
    name: 'default',
    match: { prefix: '/' },
    route: { cluster, ...routeTimeouts(undefined), ...(retry ? { retry_policy: retry } : {}), ...(hash ? { hash_policy: hash } : {}) },
  };
}

/**
 * The retries of a sidecar's inbound route, as istiod's ConvertInboundPolicy of the mesh config's
 * defaultInboundHttpRetryPolicy (`meshRetries`): none → two retries of a request reset before it reached the app
 * (never processed, so safe to retry whatever the method); no positive attempts → none; else its attempts,
 * retryOn and backoff (one local destination: no host predicate, no per-try timeout).
 */
export function inboundRetryPolicy(meshRetries: unknown): Json | undefined {
  if (meshRetries === undefined || meshRetries === null) return { retry_on: 'reset-before-request', num_retries: { value: 2 } };
  const r = asObject(meshRetries);
  const attempts = attemptsOf(r);
  if (attempts === 0) return undefined;
  const out: Json = { retry_on: 'reset-before-request', num_retries: { value: attempts } };
  retryOnAndBackoff(r, out);
  return out;
}
