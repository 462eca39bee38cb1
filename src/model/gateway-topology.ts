/**
 * Istio's ProxyConfig.gatewayTopology: what stands in front of a gateway proxy. numTrustedProxies (the load balancers
 * and proxies whose X-Forwarded-For entries the gateway trusts), forwardClientCertDetails (what the gateway does with
 * an x-forwarded-client-cert header) and proxyProtocol (connections arrive with a PROXY protocol header). Read here
 * as proto3 JSON reads it (JSON or proto names, a uint32 also as a string of digits, an enum by name or number,
 * null for unset) wherever it can be written: the mesh config's defaultConfig, the proxy.istio.io/config annotation,
 * and the PROXY_CONFIG node metadata a gateway sends. Pure.
 */
import { isObject } from '../core/object.js';
import { noteNamed, shown } from '../core/shown.js';
import { fieldNames, protoFields, uint32 } from '../core/proto-json.js';

/** Istio's ForwardClientCertDetails, without UNDEFINED (which is unset); Envoy's enum has the same names. */
export const FORWARD_CLIENT_CERT_DETAILS = ['SANITIZE', 'FORWARD_ONLY', 'APPEND_FORWARD', 'SANITIZE_SET', 'ALWAYS_FORWARD_ONLY'] as const;
export type ForwardClientCertDetails = (typeof FORWARD_CLIENT_CERT_DETAILS)[number];

/**
 * A checked gatewayTopology, in proto3 JSON form (so it is also what goes into a gateway's PROXY_CONFIG): fields
 * left at their defaults are absent.
 */
export interface GatewayTopology {
  /** X-Forwarded-For entries to trust, from the right (Envoy's xff_num_trusted_hops); absent: 0. */
  numTrustedProxies?: number;
  /** Absent: the gateways' default, SANITIZE_SET. */
  forwardClientCertDetails?: ForwardClientCertDetails;
  /** Present: a PROXY protocol header starts every downstream connection (the message has no fields). */
  proxyProtocol?: Record<string, never>;
}

export type TopologyRead = { ok: true; value: GatewayTopology; unknown: string[] } | { ok: false; errors: string[] };

/** proto3 JSON takes a field under its JSON name or its proto name. */
const NAMES = fieldNames<keyof GatewayTopology>(['numTrustedProxies', 'forwardClientCertDetails', 'proxyProtocol']);
/** The enum's values by number, as proto3 JSON also writes them (0 is UNDEFINED). */
const FCC_NAMES = ['UNDEFINED', ...FORWARD_CLIENT_CERT_DETAILS] as const;

/** A ForwardClientCertDetails by name or number (also proxyHeaders.forwardedClientCert's type); the message in a list when it reads as none. */
export function fcc(v: unknown): ForwardClientCertDetails | 'UNDEFINED' | string[] {
  const name = typeof v === 'number' && Number.isInteger(v) ? FCC_NAMES[v] : typeof v === 'string' ? FCC_NAMES.find((n) => n === v) : undefined;
  return name ?? [`${shown(v)} must be one of ${FCC_NAMES.join(', ')}`];
}

/**
 * Reads a gatewayTopology value. Errors and unknown keys are named by their path below gatewayTopology
 * (`numTrustedProxies: …`, `proxyProtocol.foo`); each caller says what an unknown key is where it reads one.
 */
export function readGatewayTopology(input: unknown): TopologyRead {
  if (!isObject(input)) return { ok: false, errors: [`must be a mapping, got ${shown(input)}`] };
  const out: GatewayTopology = {};
  const errors: string[] = [];
  const unknown: string[] = [];
  const note = (path: string): void => noteNamed(unknown, path);
  for (const [name, key, value] of protoFields(input, NAMES, '', errors, note)) {
    if (name === 'numTrustedProxies') {
      const n = uint32(value);
      if (typeof n === 'string') errors.push(`${key}: ${n}`);
      else if (n > 0) out.numTrustedProxies = n;
    } else if (name === 'forwardClientCertDetails') {
      const d = fcc(value);
      if (Array.isArray(d)) errors.push(`${key}: ${d[0]}`);
      else if (d !== 'UNDEFINED') out.forwardClientCertDetails = d;
    } else if (!isObject(value)) errors.push(`${key}: must be a mapping ({} turns it on), got ${shown(value)}`);
    else {
      for (const k of Object.keys(value)) note(`${key}.${k}`);
      out.proxyProtocol = {};
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out, unknown };
}
