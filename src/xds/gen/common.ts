/**
 * Small shared pieces of the Envoy generators: names, Any, config sources, durations, percentages and
 * Istio StringMatch → Envoy StringMatcher. Everything tolerates malformed input (returns undefined).
 */
import { duration, parseDurationMs } from '../proto.js';
import { asObject } from '../../model/selectors.js';
import { PROXY_TO_APP_SOURCE } from '../../core/constants.js';

/** A generated resource or sub-message: snake_case fields, plain values. */
export type Json = Record<string, any>;

export const ENVOY_TYPE = 'type.googleapis.com/';
/** `{ '@type': …, ...fields }` for a google.protobuf.Any. */
export const any = (typeName: string, fields: Json = {}): Json => ({ '@type': ENVOY_TYPE + typeName, ...fields });

export const ADS_SOURCE: Json = Object.freeze({ ads: {}, resource_api_version: 'V3' }) as Json;
export const adsSource = (): Json => ({ ads: {}, resource_api_version: 'V3' });

export const BLACKHOLE = 'BlackHoleCluster';
/** The JWT filter (jwt.ts) and the key under which it leaves a verified token's payload for the RBAC filters (authz.ts). */
export const JWT_FILTER = 'envoy.filters.http.jwt_authn';
export const JWT_PAYLOAD_KEY = 'payload';

/**
 * A match on a claim of the verified JWT payload (claims: the path into it), as istiod writes it for Envoy's JWT
 * filter: the claim's value matches `value` (a ValueMatcher), or, for a list claim, one of its elements does.
 */
export const jwtClaimMatcher = (claims: readonly string[], value: Json): Json => ({
  filter: JWT_FILTER,
  path: [{ key: JWT_PAYLOAD_KEY }, ...claims.map((key) => ({ key }))],
  value: { or_match: { value_matchers: [{ list_match: { one_of: value } }, value] } },
});
export const PASSTHROUGH = 'PassthroughCluster';
export const INBOUND_PASSTHROUGH = 'InboundPassthroughCluster';
/** Source address of inbound connections from the proxy to the app, so iptables lets them through (Istio's). */
export const INBOUND_BIND_ADDRESS = PROXY_TO_APP_SOURCE;
/** Its IPv6 twin, for a workload reached on ::1. */
export const INBOUND_BIND_ADDRESS_V6 = '::6';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Istio's default dnsRefreshRate (Envoy's own is 5 s): DNS clusters re-resolve this often when a lookup fails or has no TTL. */
export const DEFAULT_DNS_REFRESH_MS = 60_000;
/** Unlimited, as Istio sets the default circuit breakers (gRPC's own default is 1024 concurrent requests). */
export const UINT32_MAX = 4294967295;

/** `outbound|9080|v1|reviews.default.svc.cluster.local` */
export const outboundClusterName = (port: number, subset: string, host: string): string => `outbound|${port}|${subset}|${host}`;
/** `inbound|9080||` */
export const inboundClusterName = (port: number): string => `inbound|${port}||`;

export const socketAddress = (address: string, port: number): Json => ({ socket_address: { address, port_value: port } });

/** Istio duration string ("1.5s") or {seconds,nanos} → Envoy Duration; undefined when malformed or negative. */
export function toDuration(v: unknown): Json | undefined {
  if (typeof v === 'string') {
    const ms = parseDurationMs(v);
    return ms === undefined || ms < 0 ? undefined : duration(ms);
  }
  const o = asObject(v);
  if (typeof o.seconds === 'number' || typeof o.nanos === 'number') {
    const seconds = Number(o.seconds ?? 0);
    const nanos = Number(o.nanos ?? 0);
    return Number.isFinite(seconds) && Number.isFinite(nanos) && seconds >= 0 && nanos >= 0 ? { seconds, nanos } : undefined;
  }
  return undefined;
}

export const ZERO_DURATION: Json = Object.freeze({ seconds: 0, nanos: 0 }) as Json;

/** Istio Percent {value: 12.5} (0..100) → FractionalPercent per million; undefined when malformed. */
export function percentOf(v: unknown): Json | undefined {
  const value = typeof v === 'number' ? v : asObject(v).value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return undefined;
  return { numerator: Math.round(Math.min(value, 100) * 10_000), denominator: 'MILLION' };
}

/** An integer percentage (deprecated Istio `percent` fields) → FractionalPercent per hundred. */
export function intPercentOf(v: unknown): Json | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? { numerator: Math.min(v, 100), denominator: 'HUNDRED' } : undefined;
}

export const FULL_PERCENT: Json = Object.freeze({ numerator: 100, denominator: 'HUNDRED' }) as Json;

/** Istio StringMatch {exact|prefix|regex} → Envoy StringMatcher; undefined for an empty or malformed match. */
export function stringMatcher(v: unknown, ignoreCase = false): Json | undefined {
  const m = asObject(v);
  const ic = ignoreCase ? { ignore_case: true } : {};
  if (typeof m.exact === 'string') return { exact: m.exact, ...ic };
  if (typeof m.prefix === 'string') return { prefix: m.prefix, ...ic };
  if (typeof m.regex === 'string') return { safe_regex: { regex: m.regex } };
  return undefined;
}

/** Sorts strings as bytes (stable across locales). */
export const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Listener names Istio uses: `0.0.0.0_9080`, `10.96.0.12_3306`. */
export const listenerName = (address: string, port: number): string => `${address}_${port}`;
