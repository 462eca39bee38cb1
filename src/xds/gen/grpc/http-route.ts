/**
 * One VirtualService HTTP rule → the Envoy routes a proxyless gRPC client understands: path matches on the gRPC
 * path `/pkg.Service/Method` (prefix/exact/regex), header matches, weighted clusters across subsets, retries
 * (gRPC reads the status names in retry_on: unavailable, cancelled, deadline-exceeded, internal,
 * resource-exhausted), the timeout as max_stream_duration (what gRPC reads), fault delay/abort in
 * typed_per_filter_config keyed by the fault filter's name, and ring-hash hash policies from the destination's
 * DestinationRule.
 *
 * What a gRPC call can never satisfy is dropped, not approximated: a match on query parameters, on a method other
 * than POST, on another port, source labels or namespace that are not the node's, or on gateways without `mesh`.
 * Rules with redirect, directResponse or delegate are skipped (gRPC NACKs a whole RouteConfiguration holding a
 * non-forwarding action). Pure.
 */
import type { Service, ServicePort, Snapshot } from '../../../model/types.js';
import type { Proxy } from '../../../model/proxy.js';
import { GrpcXds, ExtensionTypeUrls } from '../../../core/constants.js';
import { duration, parseDurationMs } from '../../proto.js';
import { asArray, asObject, asString, matchesLabels, stringMap } from '../../../model/selectors.js';
import { resolveHost } from '../context.js';
import { clusterName } from './names.js';
import { ruleFor } from './policy.js';
import { destinationConsistentHash, serviceConsistentHash } from '../policy.js';
import { hostService } from '../host-definitions.js';

type Obj = Record<string, unknown>;

export interface RouteContext {
  snap: Snapshot;
  proxy: Proxy;
  /** The node's workload labels (for sourceLabels). */
  labels: Record<string, string>;
  /** The service port the route configuration is for. */
  service: Service;
  port: ServicePort;
}

/** Istio's retry policy when a rule sets none (the gRPC client reads `unavailable` and `cancelled`). */
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';
export const DEFAULT_RETRY_ATTEMPTS = 2;

const GRPC_CODES: Record<string, number> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14,
  DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

export function grpcCode(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 16) return v;
  if (typeof v !== 'string') return undefined;
  if (/^\d+$/.test(v)) return grpcCode(Number(v));
  return GRPC_CODES[v.toUpperCase()];
}

function durationOf(v: unknown): Obj | undefined {
  const ms = typeof v === 'string' ? parseDurationMs(v) : undefined;
  return ms === undefined ? undefined : duration(ms);
}

/**
 * Istio percentage (`percentage.value` 0–100, or the old integer `percent`) → FractionalPercent per million; 0
 * when neither is given, as istiod leaves it (Envoy's reading of an unset one). Written out: gRPC rejects a fault
 * without one.
 */
function fraction(spec: Record<string, any>): Obj {
  const v = spec.percentage !== undefined && spec.percentage !== null ? asObject(spec.percentage).value : spec.percent;
  return { numerator: Math.round(Math.max(0, Math.min(100, typeof v === 'number' ? v : 0)) * 10_000), denominator: 'MILLION' };
}

function stringMatch(m: Record<string, any>): Obj | undefined {
  if (typeof m.exact === 'string') return { exact: m.exact };
  if (typeof m.prefix === 'string') return { prefix: m.prefix };
  if (typeof m.regex === 'string') return { safe_regex: { google_re2: {}, regex: m.regex } };
  return undefined;
}

/** Header matches as for Envoy (../httproute.ts): regex `*` is a presence check; inverted ones treat a missing header as empty. */
function headerMatchers(headers: unknown, invert: boolean): Obj[] {
  const out: Obj[] = [];
  const entries = Object.entries(asObject(headers)).map(([k, v]) => [k.toLowerCase(), v] as const);
  for (const [name, spec] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const sm = asObject(spec).regex === '*' ? undefined : stringMatch(asObject(spec));
    out.push({ name, ...(sm ? { string_match: sm } : { present_match: true }), ...(invert && { invert_match: true, ...(sm && { treat_missing_header_as_empty: true }) }) });
  }
  return out;
}

/** The Envoy RouteMatch for one HTTPMatchRequest, or undefined when no gRPC call from this node can match it. */
export function translateMatch(ctx: RouteContext, m: Record<string, any> | undefined): Obj | undefined {
  if (m) {
    if (m.queryParams && Object.keys(asObject(m.queryParams)).length > 0) return undefined;
    const method = stringMatch(asObject(m.method));
    if (method && !(method.exact === 'POST' || (typeof method.prefix === 'string' && 'POST'.startsWith(method.prefix)))) return undefined;
    if (typeof m.port === 'number' && m.port !== ctx.port.port) return undefined;
    if (m.sourceLabels && !matchesLabels(ctx.labels, stringMap(m.sourceLabels))) return undefined;
    if (typeof m.sourceNamespace === 'string' && m.sourceNamespace !== ctx.proxy.namespace) return undefined;
    const gateways = asArray(m.gateways);
    if (gateways.length > 0 && !gateways.includes('mesh')) return undefined;
  }
  const uri = asObject(m?.uri);
  const path: Obj =
    typeof uri.exact === 'string' ? { path: uri.exact } : typeof uri.prefix === 'string' ? { prefix: uri.prefix } : typeof uri.regex === 'string' ? { safe_regex: { google_re2: {}, regex: uri.regex } } : { prefix: '/' };
  const headers = [...headerMatchers(m?.headers, false), ...headerMatchers(m?.withoutHeaders, true)];
  return { ...path, ...(m?.ignoreUriCase === true && { case_sensitive: { value: false } }), ...(headers.length > 0 && { headers }) };
}

interface Target {
  cluster: string;
  weight: number;
  service?: Service;
  port: number;
  /** The port the destination names, if it names one (port-level hashing counts only then, as in istiod). */
  explicitPort?: number;
  subset: string;
}

function targets(ctx: RouteContext, vsNamespace: string, route: unknown[]): Target[] {
  const out: Target[] = [];
  for (const d of route.map(asObject)) {
    const dest = asObject(d.destination);
    const hostSpec = asString(dest.host);
    if (!hostSpec) continue;
    const host = resolveHost(hostSpec, vsNamespace, ctx.snap.domainSuffix);
    const service = hostService(ctx.snap, ctx.proxy.namespace, host);
    const explicit = asObject(dest.port).number;
    const port =
      typeof explicit === 'number' ? explicit : host === ctx.service.hostname ? ctx.port.port : service?.ports.length === 1 ? service.ports[0]!.port : ctx.port.port;
    const subset = asString(dest.subset) ?? '';
    out.push({ cluster: clusterName(port, subset, host), weight: typeof d.weight === 'number' ? d.weight : -1, service, port, ...(typeof explicit === 'number' && { explicitPort: explicit }), subset });
  }
  if (out.length === 1) return [{ ...out[0]!, weight: 100 }];
  const weighted = out.map((t) => ({ ...t, weight: Math.max(0, t.weight) }));
  const total = weighted.reduce((s, t) => s + t.weight, 0);
  return total === 0 ? weighted.map((t) => ({ ...t, weight: 1 })) : weighted.filter((t) => t.weight > 0);
}

/**
 * A rule's retries (or, where it sets none, the mesh config's defaultHttpRetryPolicy; `undefined`: Istio's
 * default). Without a positive `attempts` a given policy retries nothing, as in istiod.
 */
function retryPolicy(retries: Record<string, any> | undefined): Obj | undefined {
  if (retries && !(typeof retries.attempts === 'number' && retries.attempts >= 1)) return undefined;
  const attempts = typeof retries?.attempts === 'number' ? Math.floor(retries.attempts) : DEFAULT_RETRY_ATTEMPTS;
  const words = (asString(retries?.retryOn) ?? DEFAULT_RETRY_ON).split(',').map((w) => w.trim()).filter(Boolean);
  const codes = words.filter((w) => /^\d+$/.test(w)).map(Number);
  const names = words.filter((w) => !/^\d+$/.test(w));
  if (codes.length > 0 && !names.includes('retriable-status-codes')) names.push('retriable-status-codes');
  const perTry = durationOf(retries?.perTryTimeout);
  const backoffMs = typeof retries?.backoff === 'string' ? parseDurationMs(retries.backoff) : undefined;
  return {
    retry_on: names.join(','),
    num_retries: { value: Math.max(1, attempts) },
    ...(perTry && { per_try_timeout: perTry }),
    ...(codes.length > 0 && { retriable_status_codes: codes }),
    ...(backoffMs && backoffMs > 0 && { retry_back_off: { base_interval: duration(backoffMs), max_interval: duration(backoffMs * 10) } }),
  };
}

/** Istio's HTTPFaultInjection → an HTTPFault for the route's typed_per_filter_config; undefined when it injects nothing. */
export function faultConfig(fault: Record<string, any> | undefined): Obj | undefined {
  if (!fault) return undefined;
  const out: Obj = { '@type': ExtensionTypeUrls.fault };
  const delay = asObject(fault.delay);
  const fixed = durationOf(delay.fixedDelay);
  if (fixed) out.delay = { fixed_delay: fixed, percentage: fraction(delay) };
  const abort = asObject(fault.abort);
  const code = grpcCode(abort.grpcStatus);
  if (typeof abort.httpStatus === 'number' && abort.httpStatus >= 200 && abort.httpStatus < 600) out.abort = { http_status: abort.httpStatus, percentage: fraction(abort) };
  else if (code !== undefined) out.abort = { grpc_status: code, percentage: fraction(abort) };
  return out.delay || out.abort ? out : undefined;
}

/** Hash policies from a consistentHash setting (what gRPC can hash on). */
function hashPolicies(consistent: Record<string, any> | undefined): Obj[] {
  const ch = asObject(consistent);
  if (typeof ch.httpHeaderName === 'string') return [{ header: { header_name: ch.httpHeaderName.toLowerCase() } }];
  // gRPC has no source IP to hash; its channel id gives the same stickiness per client.
  if (ch.useSourceIp === true) return [{ filter_state: { key: 'io.grpc.channel_id' } }];
  return [];
}

/** The route action for the rule's destinations and policies, or undefined when the rule routes nowhere. */
export function routeAction(ctx: RouteContext, vsNamespace: string, rule: Record<string, any>): Obj | undefined {
  const ts = targets(ctx, vsNamespace, asArray(rule.route));
  if (ts.length === 0) return undefined;
  const timeout = durationOf(rule.timeout);
  const retry = retryPolicy(rule.retries === undefined || rule.retries === null ? meshRetries(ctx) : asObject(rule.retries));
  const first = ts[0]!;
  const hash = first.service ? hashPolicies(destinationConsistentHash(ruleFor(ctx.snap, ctx.proxy, first.service), first.subset, first.explicitPort)) : [];
  return {
    ...(ts.length === 1 ? { cluster: ts[0]!.cluster } : { weighted_clusters: { clusters: ts.map((t) => ({ name: t.cluster, weight: { value: t.weight } })) } }),
    ...(timeout && { timeout, max_stream_duration: { max_stream_duration: timeout, grpc_timeout_header_max: timeout } }),
    ...(retry && { retry_policy: retry }),
    ...(hash.length > 0 && { hash_policy: hash }),
  };
}

/** Routes for one HTTP rule (one per applicable match); [] when the rule cannot apply to gRPC. */
export function translateRule(ctx: RouteContext, vsNamespace: string, rule: Record<string, any>, name: string): Obj[] {
  if (rule.redirect || rule.directResponse || rule.delegate) return [];
  const action = routeAction(ctx, vsNamespace, rule);
  if (!action) return [];
  const fault = faultConfig(rule.fault === undefined ? undefined : asObject(rule.fault));
  const matches = asArray(rule.match);
  const routeMatches = matches.length === 0 ? [translateMatch(ctx, undefined)] : matches.map((m) => translateMatch(ctx, asObject(m)));
  const out: Obj[] = [];
  routeMatches.forEach((match, j) => {
    if (!match) return;
    out.push({
      name: routeMatches.length > 1 ? `${name}.${j}` : name,
      match,
      route: action,
      ...(fault && { typed_per_filter_config: { [GrpcXds.faultFilter]: fault } }),
    });
  });
  return out;
}

/** The mesh config's defaultHttpRetryPolicy, as a rule's retries; undefined without one (Istio's default then). */
const meshRetries = (ctx: RouteContext): Record<string, any> | undefined => (ctx.snap.mesh.httpRetries ? asObject(ctx.snap.mesh.httpRetries) : undefined);

/** The route for a service port without a VirtualService: everything to `outbound|port||host`, the mesh's default retries. */
export function defaultRoute(ctx: RouteContext): Obj {
  const defaultRetry = retryPolicy(meshRetries(ctx));
  return {
    name: 'default',
    match: { prefix: '/' },
    route: { cluster: clusterName(ctx.port.port, '', ctx.service.hostname), ...(defaultRetry && { retry_policy: defaultRetry }), ...hashOf(ctx) },
  };
}

function hashOf(ctx: RouteContext): Obj {
  const hash = hashPolicies(serviceConsistentHash(ruleFor(ctx.snap, ctx.proxy, ctx.service), ctx.port.port));
  return hash.length > 0 ? { hash_policy: hash } : {};
}
