/**
 * The mesh config's external authorization providers, as Istio's (`envoyExtAuthzHttp`, `envoyExtAuthzGrpc` entries of
 * extensionProviders), which AuthorizationPolicies with action CUSTOM name: checked here, field by field, and read
 * into the form the generators use (xds/gen/ext-authz.ts). Pure.
 */
import { isObject } from '../core/object.js';
import { parseDuration } from '../validation/common.js';
import type { ExtAuthzProvider } from '../model/types.js';

const COMMON = ['service', 'port', 'timeout', 'failOpen', 'statusOnError', 'includeRequestBodyInCheck', 'clearRouteCache'];
const HTTP_FIELDS = new Set([
  ...COMMON, 'pathPrefix', 'includeRequestHeadersInCheck', 'includeHeadersInCheck', 'includeAdditionalHeadersInCheck',
  'headersToUpstreamOnAllow', 'headersToDownstreamOnDeny', 'headersToDownstreamOnAllow',
]);
const GRPC_FIELDS = new Set(COMMON);
const BODY_FIELDS = new Set(['maxRequestBytes', 'allowPartialMessage', 'packAsBytes']);
const HEADER_LISTS = ['includeRequestHeadersInCheck', 'includeHeadersInCheck', 'headersToUpstreamOnAllow', 'headersToDownstreamOnDeny', 'headersToDownstreamOnAllow'] as const;

export const EXT_AUTHZ_KINDS = ['envoyExtAuthzHttp', 'envoyExtAuthzGrpc'] as const;

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Errors of an envoyExtAuthzHttp / envoyExtAuthzGrpc provider at `path`. */
export function checkExtAuthz(kind: (typeof EXT_AUTHZ_KINDS)[number], p: unknown, path: string, errors: string[]): void {
  if (!isObject(p)) return void errors.push(`${path}: must be a mapping`);
  const known = kind === 'envoyExtAuthzHttp' ? HTTP_FIELDS : GRPC_FIELDS;
  for (const k of Object.keys(p)) if (!known.has(k)) errors.push(`${path}.${k}: unknown field`);
  if (typeof p.service !== 'string' || p.service === '') errors.push(`${path}.service: required, the authorization service's host (e.g. ext-authz.foo.svc.cluster.local or foo/ext-authz)`);
  if (!Number.isInteger(p.port) || (p.port as number) < 1 || (p.port as number) > 65535) errors.push(`${path}.port: required, a port from 1 to 65535`);
  if (p.timeout !== undefined) {
    const ns = typeof p.timeout === 'string' ? parseDuration(p.timeout) : undefined;
    if (ns === undefined || ns <= 0n) errors.push(`${path}.timeout: must be a positive duration like 1s`);
  }
  if (p.failOpen !== undefined && typeof p.failOpen !== 'boolean') errors.push(`${path}.failOpen: must be a boolean`);
  if (p.clearRouteCache !== undefined && typeof p.clearRouteCache !== 'boolean') errors.push(`${path}.clearRouteCache: must be a boolean`);
  if (p.statusOnError !== undefined) {
    const code = typeof p.statusOnError === 'string' && /^\d{3}$/.test(p.statusOnError) ? Number(p.statusOnError) : NaN;
    if (!(code >= 100 && code <= 599)) errors.push(`${path}.statusOnError: must be an HTTP status code as text, like "503"`);
  }
  if (typeof p.pathPrefix === 'string' && !p.pathPrefix.startsWith('/')) errors.push(`${path}.pathPrefix: must begin with /`);
  else if (p.pathPrefix !== undefined && typeof p.pathPrefix !== 'string') errors.push(`${path}.pathPrefix: must be a string`);
  for (const field of HEADER_LISTS) {
    const v = p[field];
    if (v === undefined) continue;
    if (!strings(v)) errors.push(`${path}.${field}: must be a list of header names`);
    else if (v.includes('*')) errors.push(`${path}.${field}: a lone "*" is not supported: use a prefix ("x-*") or a suffix ("*-id")`);
  }
  const extra = p.includeAdditionalHeadersInCheck;
  if (extra !== undefined && !(isObject(extra) && Object.values(extra).every((v) => typeof v === 'string'))) errors.push(`${path}.includeAdditionalHeadersInCheck: must map header names to values`);
  const body = p.includeRequestBodyInCheck;
  if (body === undefined) return;
  if (!isObject(body)) return void errors.push(`${path}.includeRequestBodyInCheck: must be a mapping`);
  for (const k of Object.keys(body)) if (!BODY_FIELDS.has(k)) errors.push(`${path}.includeRequestBodyInCheck.${k}: unknown field`);
  if (body.maxRequestBytes !== undefined && !(Number.isInteger(body.maxRequestBytes) && (body.maxRequestBytes as number) > 0)) errors.push(`${path}.includeRequestBodyInCheck.maxRequestBytes: must be a whole number above 0`);
  for (const k of ['allowPartialMessage', 'packAsBytes']) if (body[k] !== undefined && typeof body[k] !== 'boolean') errors.push(`${path}.includeRequestBodyInCheck.${k}: must be a boolean`);
}

/** A checked provider in the generators' form. */
export function extAuthzProvider(kind: (typeof EXT_AUTHZ_KINDS)[number], p: Record<string, any>): ExtAuthzProvider {
  const timeoutNs = typeof p.timeout === 'string' ? parseDuration(p.timeout) : undefined;
  const body = isObject(p.includeRequestBodyInCheck) ? p.includeRequestBodyInCheck : undefined;
  return {
    kind: kind === 'envoyExtAuthzHttp' ? 'http' : 'grpc',
    service: p.service,
    port: p.port,
    timeoutMs: timeoutNs !== undefined ? Number(timeoutNs / 1_000_000n) : 600_000,
    failOpen: p.failOpen === true,
    ...(typeof p.statusOnError === 'string' ? { statusOnError: Number(p.statusOnError) } : {}),
    ...(p.clearRouteCache === true ? { clearRouteCache: true } : {}),
    ...(body ? { requestBody: { ...(typeof body.maxRequestBytes === 'number' ? { maxRequestBytes: body.maxRequestBytes } : {}), allowPartialMessage: body.allowPartialMessage === true, packAsBytes: body.packAsBytes === true } } : {}),
    ...(typeof p.pathPrefix === 'string' ? { pathPrefix: p.pathPrefix } : {}),
    // The older includeHeadersInCheck counts where includeRequestHeadersInCheck is not given, as in Istio.
    ...((p.includeRequestHeadersInCheck ?? p.includeHeadersInCheck) ? { requestHeaders: [...(p.includeRequestHeadersInCheck ?? p.includeHeadersInCheck)] } : {}),
    ...(isObject(p.includeAdditionalHeadersInCheck) ? { additionalHeaders: { ...(p.includeAdditionalHeadersInCheck as Record<string, string>) } } : {}),
    ...(p.headersToUpstreamOnAllow ? { upstreamOnAllow: [...p.headersToUpstreamOnAllow] } : {}),
    ...(p.headersToDownstreamOnDeny ? { downstreamOnDeny: [...p.headersToDownstreamOnDeny] } : {}),
    ...(p.headersToDownstreamOnAllow ? { downstreamOnAllow: [...p.headersToDownstreamOnAllow] } : {}),
  };
}
