/**
 * Istio's ProxyConfig.proxyHeaders: which headers a proxy adds or keeps (server, x-request-id, x-envoy-attempt-count,
 * the x-envoy-* debug headers, x-forwarded-client-cert on a sidecar's inbound side, x-forwarded-host and -port, the
 * case of HTTP/1 header names). Read here as proto3 JSON reads it (JSON or proto names, BoolValues as true or false,
 * enums by name or number, null for unset) wherever it can be written: the mesh config's defaultConfig, the
 * proxy.istio.io/config annotation, and the PROXY_CONFIG node metadata a proxy sends; and merged as Istio merges the
 * annotation over defaultConfig. What the generators make of it is xds/gen/proxy-headers.ts. Pure.
 */
import { isObject } from '../core/object.js';
import { noteNamed, shown } from '../core/shown.js';
import { type ForwardClientCertDetails, fcc } from './gateway-topology.js';
import { fieldNames, protoFields } from '../core/proto-json.js';

type Flag = 'disabled' | 'enabled';
/** The client certificate's parts a sidecar's inbound side puts in x-forwarded-client-cert. */
export type CertDetail = 'subject' | 'cert' | 'chain' | 'dns' | 'uri';

/**
 * A checked proxyHeaders, in proto3 JSON form (so it is also what goes into a proxy's PROXY_CONFIG). Messages given
 * stay present even when empty (`server: {}`), as their presence decides the merge over defaultConfig; BoolValues
 * given as false stay too (setCurrentClientCertDetails.subject: false is not its default).
 */
export interface ProxyHeaders {
  /** x-forwarded-client-cert on a sidecar's inbound side; absent: APPEND_FORWARD. */
  forwardedClientCert?: ForwardClientCertDetails;
  setCurrentClientCertDetails?: Partial<Record<CertDetail, boolean>>;
  requestId?: { disabled?: boolean };
  /** disabled: the server header passes through; value: what it says (absent: istio-envoy inbound and on gateways). */
  server?: { disabled?: boolean; value?: string };
  attemptCount?: { disabled?: boolean };
  envoyDebugHeaders?: { disabled?: boolean };
  /** IN_MESH: no metadata exchange headers to services outside the mesh (mizzen's proxies send none anywhere). */
  metadataExchangeHeaders?: { mode?: 'IN_MESH' };
  preserveHttp1HeaderCase?: boolean;
  xForwardedHost?: { enabled?: boolean };
  xForwardedPort?: { enabled?: boolean };
}

export type HeadersRead = { ok: true; value: ProxyHeaders; unknown: string[] } | { ok: false; errors: string[] };

/** How a field reads: a BoolValue, a header value, an enum, or a message of such fields. */
type Kind = 'bool' | 'string' | 'fcc' | 'mode' | { readonly [field: string]: Kind };

const toggle = (flag: Flag): Kind => ({ [flag]: 'bool' });
const FIELDS: { readonly [field: string]: Kind } = {
  forwardedClientCert: 'fcc',
  setCurrentClientCertDetails: { subject: 'bool', cert: 'bool', chain: 'bool', dns: 'bool', uri: 'bool' },
  requestId: toggle('disabled'),
  server: { disabled: 'bool', value: 'string' },
  attemptCount: toggle('disabled'),
  envoyDebugHeaders: toggle('disabled'),
  metadataExchangeHeaders: { mode: 'mode' },
  preserveHttp1HeaderCase: 'bool',
  xForwardedHost: toggle('enabled'),
  xForwardedPort: toggle('enabled'),
};

/** A header value Envoy takes (its HTTP_HEADER_VALUE rule, not strict): no NUL, CR or LF. */
const HEADER_VALUE = /^[^\0\r\n]*$/;
const MODES = ['UNDEFINED', 'IN_MESH'] as const;


/** One scalar field's value, or what is wrong with it; undefined leaves the field unset (its default). */
function scalar(kind: Exclude<Kind, object>, v: unknown): { value?: unknown } | { error: string } {
  switch (kind) {
    case 'bool':
      return typeof v === 'boolean' ? { value: v } : { error: `must be true or false, got ${shown(v)}` };
    case 'string':
      if (typeof v !== 'string') return { error: `must be a string, got ${shown(v)}` };
      return HEADER_VALUE.test(v) ? (v === '' ? {} : { value: v }) : { error: `${shown(v)} must be a header value (no NUL, CR or LF)` };
    case 'fcc': {
      const d = fcc(v);
      return Array.isArray(d) ? { error: d[0]! } : d === 'UNDEFINED' ? {} : { value: d };
    }
    case 'mode': {
      const name = typeof v === 'number' && Number.isInteger(v) ? MODES[v] : MODES.find((m) => m === v);
      return name === undefined ? { error: `${shown(v)} must be one of ${MODES.join(', ')}` } : name === 'UNDEFINED' ? {} : { value: name };
    }
  }
}

/** A message of `fields`, errors and unknown keys named by their path below it (prefix `at`). */
function message(input: Record<string, unknown>, fields: { readonly [field: string]: Kind }, at: string, errors: string[], note: (path: string) => void): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, key, value] of protoFields(input, fieldNames(Object.keys(fields)), at, errors, (key) => note(`${at}${key}`))) {
    const kind = fields[name]!;
    if (typeof kind === 'object') {
      if (!isObject(value)) errors.push(`${at}${key}: must be a mapping, got ${shown(value)}`);
      else out[name] = message(value, kind, `${at}${key}.`, errors, note);
      continue;
    }
    const r = scalar(kind, value);
    if ('error' in r) errors.push(`${at}${key}: ${r.error}`);
    else if (r.value !== undefined) out[name] = r.value;
  }
  return out;
}

/**
 * Reads a proxyHeaders value. Errors and unknown keys are named by their path below proxyHeaders (`server.value: …`,
 * `requestId.disable`); each caller says what an unknown key is where it reads one.
 */
export function readProxyHeaders(input: unknown): HeadersRead {
  if (!isObject(input)) return { ok: false, errors: [`must be a mapping, got ${shown(input)}`] };
  const errors: string[] = [];
  const unknown: string[] = [];
  const note = (path: string): void => noteNamed(unknown, path);
  const value = message(input, FIELDS, '', errors, note) as ProxyHeaders;
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value, unknown };
}

/**
 * `top` (a pod's proxy.istio.io/config) over `base` (defaultConfig), as Istio merges them: a message field, so the
 * annotation's replaces the mesh's whole, except that forwardedClientCert, requestId, attemptCount, server and
 * envoyDebugHeaders it leaves out keep the mesh's (Istio's MergeProxyConfig puts those back).
 */
export function mergeProxyHeaders(base: ProxyHeaders | undefined, top: ProxyHeaders | undefined): ProxyHeaders | undefined {
  if (!base || !top) return top ?? base;
  const out: ProxyHeaders = { ...top };
  for (const k of ['forwardedClientCert', 'requestId', 'attemptCount', 'server', 'envoyDebugHeaders'] as const) {
    if (out[k] === undefined && base[k] !== undefined) (out as Record<string, unknown>)[k] = base[k];
  }
  return out;
}
