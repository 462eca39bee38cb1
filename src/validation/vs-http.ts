/** VirtualService HTTP routes: schema and semantic rules (match, route, redirect, rewrite, retries, fault, CORS, mirrors). */
import { Issues, type Obj, obj, str, bool, int32, uint32, list, map, strList, enumOf, each, entries, has, len, walk } from './schema.js';
import {
  checkGatewayName,
  checkStringMatch,
  durationField,
  labelsSchema,
  mirrorPercentSchema,
  parseDuration,
  percentSchema,
  stringMatchSchema,
  isAuthorityHeader,
  isDns1123Label,
  validateMatchHeaderName,
  validatePort,
  validateRegex,
  validateHeaderName,
} from './common.js';
import { destinationSchema, headersSchema, checkDestination, checkHeaders } from './networking.js';

const matchSchema = obj({
  name: str(),
  uri: stringMatchSchema,
  scheme: stringMatchSchema,
  method: stringMatchSchema,
  authority: stringMatchSchema,
  headers: map(stringMatchSchema),
  withoutHeaders: map(stringMatchSchema),
  queryParams: map(stringMatchSchema),
  port: uint32(),
  sourceLabels: labelsSchema(),
  gateways: strList(checkGatewayName),
  sourceNamespace: str(),
  ignoreUriCase: bool,
  statPrefix: str(),
});

const corsSchema = obj({
  allowOrigin: strList(),
  allowOrigins: list(stringMatchSchema),
  allowMethods: strList(),
  allowHeaders: strList(),
  exposeHeaders: strList(),
  maxAge: durationField,
  allowCredentials: bool,
  unmatchedPreflights: enumOf('UNSPECIFIED', 'FORWARD', 'IGNORE'),
});

const faultSchema = obj({
  delay: obj(
    { fixedDelay: durationField, exponentialDelay: durationField, percent: int32(), percentage: percentSchema },
    { atMostOne: [['fixedDelay', 'exponentialDelay']] },
  ),
  abort: obj({ httpStatus: int32(), grpcStatus: str(), http2Error: str(), percentage: percentSchema }, { atMostOne: [['httpStatus', 'grpcStatus', 'http2Error']] }),
});

/** Istio's HTTPRetry: a route's `retries`, and the mesh config's default retry policies. */
const retriesSchema = obj({
  attempts: int32(),
  perTryTimeout: durationField,
  retryOn: str(),
  retryRemoteLocalities: bool,
  retryIgnorePreviousHosts: bool,
  backoff: durationField,
});

export const httpRouteSchema = obj({
  name: str(),
  match: list(matchSchema),
  route: list(obj({ destination: destinationSchema, weight: int32(), headers: headersSchema }, { required: ['destination'] })),
  redirect: obj(
    {
      uri: str(),
      authority: str(),
      port: uint32(),
      derivePort: enumOf('FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT'),
      scheme: str(),
      redirectCode: uint32(),
      prefixRewrite: str(),
    },
    { atMostOne: [['port', 'derivePort']] },
  ),
  directResponse: obj(
    { status: uint32(), body: obj({ string: str(), bytes: str() }, { atMostOne: [['string', 'bytes']] }) },
    { required: ['status'] },
  ),
  delegate: obj({ name: str(), namespace: str() }),
  rewrite: obj({ uri: str(), authority: str(), uriRegexRewrite: obj({ match: str(), rewrite: str() }) }),
  timeout: durationField,
  retries: retriesSchema,
  fault: faultSchema,
  mirror: destinationSchema,
  mirrors: list(obj({ destination: destinationSchema, percentage: mirrorPercentSchema }, { required: ['destination'] })),
  mirrorPercent: uint32(),
  mirror_percent: uint32(),
  mirrorPercentage: mirrorPercentSchema,
  corsPolicy: corsSchema,
  headers: headersSchema,
});

export interface HttpContext {
  /** The VirtualService has no hosts: it is a delegate. */
  delegate: boolean;
  /** The VirtualService applies to gateways only (not the mesh). */
  gatewayOnly: boolean;
}

export function checkHttpRoute(r: Obj, p: string, ctx: HttpContext, issues: Issues): void {
  checkConflicts(r, p, ctx, issues);
  each(r.match, (m, i) => checkMatch(m, `${p}.match[${i}]`, ctx, issues));
  checkHeaders(r.headers, `${p}.headers`, issues);
  checkCors(r.corsPolicy, `${p}.corsPolicy`, issues);
  checkFault(r.fault, `${p}.fault`, issues);
  for (const k of ['mirrorPercent', 'mirror_percent']) {
    if (!has(r, k)) continue;
    if (r[k] > 100) issues.error(`${p}.${k}`, `must be at most 100 (it is ${r[k]})`);
    issues.warn(`${p}.${k}`, 'deprecated: use mirrorPercentage instead');
  }
  checkDestination(r.mirror, `${p}.mirror`, issues);
  each(r.mirrors, (m, i) => checkDestination(m.destination, `${p}.mirrors[${i}].destination`, issues));
  checkRedirect(r, `${p}.redirect`, issues);
  checkDirectResponse(r.directResponse, `${p}.directResponse`, issues);
  checkRetries(r.retries, `${p}.retries`, issues);
  checkRewrite(r.rewrite, `${p}.rewrite`, issues);
  checkAuthorityRewrite(r, p, issues);
  checkRouteDestinations(r.route, `${p}.route`, issues);
}

function checkConflicts(r: Obj, p: string, ctx: HttpContext, issues: Issues): void {
  if (r.delegate && !ctx.delegate) {
    // a root route hands the whole request to the delegate (Istio forbids only redirect and route here; the rest is ignored)
    if (r.redirect) issues.error(`${p}.redirect`, 'a route with delegate must not specify redirect');
    if (r.route) issues.error(`${p}.route`, 'a route with delegate must not specify route');
    return;
  }
  if (r.delegate && ctx.delegate) issues.error(`${p}.delegate`, 'a delegate VirtualService cannot delegate again');
  if (r.redirect) {
    if (len(r.route) > 0) issues.error(p, 'HTTP route cannot contain both route and redirect');
    if (r.fault) issues.error(p, 'HTTP route cannot contain both fault and redirect');
    if (r.rewrite) issues.error(p, 'HTTP route cannot contain both rewrite and redirect');
    if (r.directResponse) issues.error(p, 'HTTP route cannot contain both directResponse and redirect');
  } else if (r.directResponse) {
    if (len(r.route) > 0) issues.error(p, 'HTTP route cannot contain both route and directResponse');
    if (r.fault) issues.error(p, 'HTTP route cannot contain both fault and directResponse');
    if (r.rewrite) issues.error(p, 'HTTP route cannot contain both rewrite and directResponse');
  } else if (len(r.route) === 0) {
    issues.error(p, 'one of route, redirect or directResponse is required');
  }
  if (r.mirror && len(r.mirrors) > 0) issues.error(p, 'HTTP route cannot contain both mirror and mirrors');
}

function checkMatch(m: Obj, p: string, ctx: HttpContext, issues: Issues): void {
  for (const field of ['headers', 'withoutHeaders'] as const) {
    for (const [name, sm] of entries<Obj>(m[field])) {
      const hp = `${p}.${field}[${name}]`;
      const e = validateMatchHeaderName(name);
      if (e) issues.error(hp, e);
      else if (name.toLowerCase().startsWith('@request.auth.claims') && !ctx.gatewayOnly) {
        issues.error(hp, 'JWT claim based routing is only supported for gateways (set gateways without mesh)');
      }
      if (field === 'withoutHeaders' && sm.regex === '*') continue; // `*` means "present", not a regex
      if (field === 'withoutHeaders' && !sm.exact && sm.prefix === undefined && sm.regex === undefined) continue; // presence
      if (field === 'headers' && sm.exact === undefined && sm.prefix === undefined && sm.regex === undefined) continue; // presence match
      checkStringMatch(sm, hp, issues);
    }
  }
  checkStringMatch(m.uri, `${p}.uri`, issues, { allowEmptyPrefix: true });
  for (const f of ['scheme', 'method', 'authority'] as const) checkStringMatch(m[f], `${p}.${f}`, issues);
  for (const [name, sm] of entries<Obj>(m.queryParams)) checkStringMatch(sm, `${p}.queryParams[${name}]`, issues);
  if (has(m, 'port') && m.port !== 0) {
    // 0 is the unset value: the match applies to every port
    const e = validatePort(m.port);
    if (e) issues.error(`${p}.port`, e);
  }
  if (typeof m.sourceNamespace === 'string' && m.sourceNamespace !== '' && !isDns1123Label(m.sourceNamespace)) {
    issues.error(`${p}.sourceNamespace`, `invalid namespace "${m.sourceNamespace}"`);
  }
}

const CORS_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', '*']);
const SECOND_NS = 1_000_000_000n;

function checkCors(c: Obj | undefined, p: string, issues: Issues): void {
  if (!c) return;
  if (has(c, 'allowOrigin')) issues.warn(`${p}.allowOrigin`, 'deprecated: use allowOrigins instead');
  each(c.allowOrigins, (o, i) => {
    const op = `${p}.allowOrigins[${i}]`;
    const value = o.exact ?? o.prefix ?? o.regex;
    if (!value) issues.error(op, 'one of exact, prefix or regex must be set to a non-empty value');
    else if (o.regex !== undefined) {
      const e = validateRegex(o.regex);
      if (e) issues.error(`${op}.regex`, e);
    }
  });
  each<string>(c.allowMethods, (m, i) => {
    if (!CORS_METHODS.has(m)) issues.error(`${p}.allowMethods[${i}]`, `"${m}" is not a supported HTTP method`);
  });
  for (const f of ['allowHeaders', 'exposeHeaders'] as const) {
    each<string>(c[f], (h, i) => {
      const e = h === '*' ? undefined : validateHeaderName(h);
      if (e) issues.error(`${p}.${f}[${i}]`, e);
    });
  }
  // Access-Control-Max-Age counts seconds
  const maxAge = typeof c.maxAge === 'string' ? parseDuration(c.maxAge) : undefined;
  if (maxAge !== undefined && maxAge % SECOND_NS !== 0n) issues.error(`${p}.maxAge`, `only whole seconds are supported (got ${c.maxAge})`);
}

const GRPC_STATUS = new Set([
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
]);

/** Istio lets 600 through (its check is "above 600"); the generator drops a status Envoy cannot send. */
export const validateHttpStatus = (s: number): string | undefined => (s < 200 || s > 600 ? `HTTP status ${s} is not in range 200-600` : undefined);

function checkFault(f: Obj | undefined, p: string, issues: Issues): void {
  if (!f) return;
  if (!f.abort && !f.delay) issues.error(p, 'fault injection must have an abort and/or a delay');
  const a = f.abort;
  if (a) {
    if (has(a, 'httpStatus')) {
      const e = validateHttpStatus(a.httpStatus);
      if (e) issues.error(`${p}.abort.httpStatus`, e);
    } else if (has(a, 'grpcStatus')) {
      if (!GRPC_STATUS.has(a.grpcStatus)) issues.error(`${p}.abort.grpcStatus`, `gRPC status "${a.grpcStatus}" is not supported (use a name such as UNAVAILABLE or NOT_FOUND)`);
    } else if (has(a, 'http2Error')) {
      issues.error(`${p}.abort.http2Error`, 'HTTP/2 abort fault injection is not supported yet');
    } else {
      issues.warn(`${p}.abort`, 'abort configured, but none of httpStatus, grpcStatus is set');
    }
  }
  const d = f.delay;
  if (d) {
    // a delay with neither fixedDelay nor exponentialDelay is accepted, as Istio does, and injects nothing
    if (has(d, 'exponentialDelay')) issues.error(`${p}.delay.exponentialDelay`, 'exponentialDelay is not supported yet');
    // Istio checks only percentage; the generator caps percent at 100
    if (has(d, 'percent')) issues.warn(`${p}.delay.percent`, 'deprecated: use percentage instead');
  }
}

function checkRedirect(r: Obj, p: string, issues: Issues): void {
  const rd = r.redirect;
  if (!rd) return;
  if (rd.uri && rd.prefixRewrite) issues.error(p, 'redirect may only specify one of uri or prefixRewrite');
  if (rd.prefixRewrite) {
    each(r.match, (m, i) => {
      if (m.uri && m.uri.prefix === undefined) issues.error(`${p}.prefixRewrite`, `requires every uri match to be a prefix match (match[${i}] is not)`);
    });
  }
  if (!rd.uri && !rd.prefixRewrite && !rd.authority && !has(rd, 'port') && !has(rd, 'derivePort') && !rd.scheme) {
    issues.error(p, 'redirect must specify uri, prefixRewrite, authority, scheme or port');
  }
  if (has(rd, 'redirectCode') && rd.redirectCode !== 0 && (rd.redirectCode < 300 || rd.redirectCode > 399)) {
    issues.error(`${p}.redirectCode`, `${rd.redirectCode} is not a valid redirect code, must be 3xx`);
  }
  if (rd.scheme && rd.scheme !== 'http' && rd.scheme !== 'https') issues.error(`${p}.scheme`, 'must be "http" or "https"');
  if (has(rd, 'port') && rd.port > 0) {
    const e = validatePort(rd.port);
    if (e) issues.error(`${p}.port`, e);
  }
}

function checkDirectResponse(d: Obj | undefined, p: string, issues: Issues): void {
  if (!d) return;
  if (has(d, 'status')) {
    const e = validateHttpStatus(d.status);
    if (e) issues.error(`${p}.status`, e);
  }
  const body: string | undefined = d.body?.string ?? d.body?.bytes;
  if (body !== undefined) {
    const size = d.body?.bytes !== undefined ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body);
    if (size > 1024 * 1024) issues.error(`${p}.body`, 'direct responses must be smaller than 1MB');
    else if (size > 100 * 1024) issues.warn(`${p}.body`, 'large direct responses may impact control plane performance');
  }
}

const RETRY_ON = new Set([
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream', 'retriable-status-codes',
  'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);
// HTTP status codes with a standard reason phrase (what a retryOn entry may name instead of a policy)
const HTTP_CODES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
  500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

export function validateRetryOn(retryOn: string): string[] {
  return retryOn
    .split(',')
    .filter((policy) => !RETRY_ON.has(policy) && !(/^[0-9]+$/.test(policy) && HTTP_CODES.has(Number(policy))))
    .map((policy) => `"${policy}" is not a valid retryOn policy (Envoy retry policies, gRPC status names or HTTP status codes, comma separated)`);
}

/** The issues of an HTTPRetry outside a VirtualService (the mesh config's defaults), checked as a route's `retries` is. */
export function retryPolicyIssues(v: unknown, path: string): Issues {
  const issues = new Issues();
  walk(retriesSchema, v, path, issues);
  if (issues.errors.length === 0) checkRetries(v as Obj, path, issues);
  return issues;
}

function checkRetries(r: Obj | undefined, p: string, issues: Issues): void {
  if (!r) return;
  const attempts: number = r.attempts ?? 0;
  if (attempts < 0) issues.error(`${p}.attempts`, 'attempts cannot be negative');
  if (attempts === 0 && (has(r, 'perTryTimeout') || r.retryOn || has(r, 'retryRemoteLocalities'))) {
    issues.error(p, 'retry policy configured while attempts is 0 (retries disabled)');
  }
  if (r.retryOn) for (const e of validateRetryOn(r.retryOn)) issues.error(`${p}.retryOn`, e);
}

function checkRewrite(rw: Obj | undefined, p: string, issues: Issues): void {
  if (!rw) return;
  if (rw.uri && rw.uriRegexRewrite) issues.error(p, 'rewrite may only contain one of uri or uriRegexRewrite');
  if (!rw.uri && !rw.uriRegexRewrite && !rw.authority) issues.error(p, 'rewrite must specify at least one of uri, uriRegexRewrite or authority');
  const rr = rw.uriRegexRewrite;
  if (rr) {
    if (!rr.match || !rr.rewrite) issues.error(`${p}.uriRegexRewrite`, 'both match and rewrite are required');
    if (rr.match) {
      const e = validateRegex(rr.match);
      if (e) issues.error(`${p}.uriRegexRewrite.match`, e);
    }
  }
}

function checkAuthorityRewrite(r: Obj, p: string, issues: Issues): void {
  let current: string | undefined = r.rewrite?.authority || undefined;
  for (const op of ['set', 'add'] as const) {
    for (const [k, v] of entries(r.headers?.request?.[op])) {
      if (!isAuthorityHeader(k)) continue;
      if (current !== undefined) issues.error(`${p}.headers.request.${op}[${k}]`, `authority cannot be set more than once (already "${current}")`);
      current = v;
    }
  }
}

export function checkRouteDestinations(routes: unknown, p: string, issues: Issues): void {
  let total = 0;
  let n = 0;
  each(routes, (rd, i) => {
    const rp = `${p}[${i}]`;
    n++;
    checkDestination(rd.destination, `${rp}.destination`, issues);
    checkHeaders(rd.headers, `${rp}.headers`, issues);
    if (has(rd, 'weight')) {
      if (rd.weight < 0) issues.error(`${rp}.weight`, `weight ${rd.weight} must not be negative`);
      else total += rd.weight;
    }
  });
  if (n > 1 && total === 0) issues.error(p, 'total destination weight is 0');
}
