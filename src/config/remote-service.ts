/**
 * Istio's RemoteService, the shape of ProxyConfig's envoyAccessLogService: the address of a gRPC service a proxy
 * streams to (`host:port`, a DNS name or an IP, as istiod checks it), the TLS it is reached over (a
 * ClientTLSSettings) and the TCP keepalive of its connections. Read from the mesh config's defaultConfig and from a
 * pod's proxy.istio.io/config; the proxy's bootstrap gets a cluster for it (bootstrap/access-log-service.ts).
 *
 * TLS the way a plain Envoy can do it from its own bootstrap: SIMPLE and MUTUAL with files in the proxy's file
 * system (the server checked against caCertificates, else the image's system CAs; caCrl, subjectAltNames and
 * insecureSkipVerify applied), ISTIO_MUTUAL with the proxy's mesh certificate. A credentialName is a Kubernetes
 * Secret that only Istio's agent reads: it is warned about and left alone. Messages name the field below the
 * RemoteService (`tlsSettings.mode: ...`); the caller adds the RemoteService's own name. Pure.
 */
import { isIP } from 'node:net';
import { shown } from '../core/shown.js';
import { isObject } from '../core/object.js';
import { parseDuration } from '../core/duration.js';
import { validateFqdn } from '../validation/common.js';

/** TLS to the service, as read; DISABLE (or no mode) reads as no TLS at all. */
export interface RemoteTls {
  mode: 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';
  caCertificates?: string;
  clientCertificate?: string;
  privateKey?: string;
  caCrl?: string;
  subjectAltNames: string[];
  sni?: string;
  insecureSkipVerify?: boolean;
}

/** SO_KEEPALIVE settings, Envoy's way: whole seconds, only those above 0 (as istiod writes them into its bootstrap). */
export interface RemoteKeepalive {
  probes?: number;
  timeSeconds?: number;
  intervalSeconds?: number;
}

export interface RemoteService {
  /** host:port; absent: no service (Istio adds its cluster only for a non-empty address). */
  address?: string;
  tls?: RemoteTls;
  keepalive?: RemoteKeepalive;
}

export type RemoteServiceRead =
  | { ok: true; value: RemoteService; unknown: string[]; warnings: string[] }
  | { ok: false; errors: string[] };

/** proto3 JSON takes a field's proto name too (tls_settings for tlsSettings). */
const camel = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

const TLS_FIELDS = new Set(['mode', 'clientCertificate', 'privateKey', 'caCertificates', 'credentialName', 'subjectAltNames', 'sni', 'insecureSkipVerify', 'caCrl']);
const KEEPALIVE_FIELDS = new Set(['probes', 'time', 'interval']);
const MODES = ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'];
const UINT32_MAX = 0xffffffff;

/** The fields of `v` by their JSON names; keys that are none of `known` go to `unknown` under `at`. */
function fieldsOf(v: Record<string, unknown>, known: ReadonlySet<string>, at: string, unknown: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) {
    const name = camel(key);
    if (!known.has(name)) unknown.push(`${at}${key}`);
    else if (value !== null && value !== undefined) out[name] = value; // null: the field's default
  }
  return out;
}

/** host and port of host:port or [v6]:port, unchecked; undefined for anything else. */
export function splitAddress(address: string): { host: string; port: string } | undefined {
  const m = /^\[([^\]]*)\]:([^:]*)$/.exec(address) ?? /^([^:[\]]*):([^:]*)$/.exec(address);
  return m ? { host: m[1]!, port: m[2]! } : undefined;
}

/** An address as istiod's ValidateProxyAddress takes it: host:port ([v6]:port), the host a DNS name or an IP. */
export function addressIssue(address: string): string | undefined {
  const split = splitAddress(address);
  if (!split) return `${shown(address)} must be host:port`;
  const { host, port } = split;
  if (!/^\d+$/.test(port)) return `${shown(address)}: the port ${shown(port)} is not a number`;
  if (Number(port) < 1 || Number(port) > 65535) return `${shown(address)}: the port ${port} must be between 1 and 65535`;
  if (isIP(host) === 0 && validateFqdn(host) !== undefined) return `${shown(address)}: ${shown(host)} is not a valid hostname or an IP address`;
  return undefined;
}

/** A Duration field in whole seconds (Envoy's keepalive settings are seconds; istiod drops what is below). */
function seconds(v: unknown, at: string, errors: string[]): number | undefined {
  const ns = typeof v === 'string' ? parseDuration(v.trim()) : undefined;
  if (ns === undefined || ns < 0n) {
    errors.push(`${at}: ${shown(v)} must be a duration like 10s`);
    return undefined;
  }
  const s = Number(ns / 1_000_000_000n);
  return s > 0 ? Math.min(s, UINT32_MAX) : undefined;
}

function readKeepalive(v: unknown, errors: string[], unknown: string[]): RemoteKeepalive | undefined {
  if (!isObject(v)) {
    errors.push(`tcpKeepalive: must be a mapping, got ${shown(v)}`);
    return undefined;
  }
  const f = fieldsOf(v, KEEPALIVE_FIELDS, 'tcpKeepalive.', unknown);
  const out: RemoteKeepalive = {};
  if (f.probes !== undefined) {
    if (typeof f.probes !== 'number' || !Number.isInteger(f.probes) || f.probes < 0 || f.probes > UINT32_MAX) errors.push(`tcpKeepalive.probes: must be a whole number from 0 to ${UINT32_MAX}, got ${shown(f.probes)}`);
    else if (f.probes > 0) out.probes = f.probes;
  }
  const time = f.time === undefined ? undefined : seconds(f.time, 'tcpKeepalive.time', errors);
  if (time !== undefined) out.timeSeconds = time;
  const interval = f.interval === undefined ? undefined : seconds(f.interval, 'tcpKeepalive.interval', errors);
  if (interval !== undefined) out.intervalSeconds = interval;
  return Object.keys(out).length > 0 ? out : undefined;
}

function readTls(v: unknown, errors: string[], warnings: string[], unknown: string[]): RemoteTls | undefined {
  if (!isObject(v)) {
    errors.push(`tlsSettings: must be a mapping, got ${shown(v)}`);
    return undefined;
  }
  const f = fieldsOf(v, TLS_FIELDS, 'tlsSettings.', unknown);
  const before = errors.length;
  const text = (name: string): string | undefined => {
    const value = f[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value === 'string') return value;
    errors.push(`tlsSettings.${name}: must be a string, got ${shown(value)}`);
    return undefined;
  };
  const mode = f.mode ?? 'DISABLE';
  if (typeof mode !== 'string' || !MODES.includes(mode)) errors.push(`tlsSettings.mode: ${shown(mode)} must be one of ${MODES.join(', ')}`);
  const files = { caCertificates: text('caCertificates'), clientCertificate: text('clientCertificate'), privateKey: text('privateKey'), caCrl: text('caCrl') };
  const sni = text('sni');
  const credentialName = text('credentialName');
  const sans = f.subjectAltNames ?? [];
  if (!Array.isArray(sans) || !sans.every((s) => typeof s === 'string')) errors.push(`tlsSettings.subjectAltNames: must be a list of strings, got ${shown(sans)}`);
  const skip = f.insecureSkipVerify;
  if (skip !== undefined && typeof skip !== 'boolean') errors.push(`tlsSettings.insecureSkipVerify: must be true or false, got ${shown(skip)}`);
  if (errors.length > before || mode === 'DISABLE') return undefined;
  const tls: RemoteTls = {
    mode: mode as RemoteTls['mode'],
    subjectAltNames: (sans as string[]).filter((s) => s !== ''),
    ...(sni !== undefined && { sni }),
  };
  if (mode === 'ISTIO_MUTUAL') {
    const given: string[] = (['clientCertificate', 'privateKey', 'caCertificates', 'caCrl'] as const).filter((k) => files[k] !== undefined);
    if (credentialName !== undefined) given.push('credentialName');
    if (skip === true) given.push('insecureSkipVerify');
    if (given.length) warnings.push(`tlsSettings: ISTIO_MUTUAL uses the proxy's mesh certificate; ${given.join(', ')} not applied`);
    return tls;
  }
  if (credentialName !== undefined) {
    warnings.push(`tlsSettings.credentialName: not applied by mizzen (a Secret only Istio's agent reads); the proxy's bootstrap reads clientCertificate, privateKey and caCertificates from files`);
  }
  if (mode === 'MUTUAL') {
    if (files.clientCertificate === undefined) errors.push('tlsSettings.clientCertificate: is required for MUTUAL mode (a file in the proxy)');
    if (files.privateKey === undefined) errors.push('tlsSettings.privateKey: is required for MUTUAL mode (a file in the proxy)');
  }
  if (skip === true && (files.caCertificates !== undefined || tls.subjectAltNames.length > 0)) errors.push('tlsSettings: cannot set caCertificates or subjectAltNames when insecureSkipVerify is true');
  if (errors.length > before) return undefined;
  for (const k of ['caCertificates', 'clientCertificate', 'privateKey', 'caCrl'] as const) if (files[k] !== undefined) tls[k] = files[k];
  if (skip === true) tls.insecureSkipVerify = true;
  return tls;
}

/** Reads a RemoteService (e.g. envoyAccessLogService); its unknown keys are listed, not refused. */
export function readRemoteService(v: unknown): RemoteServiceRead {
  if (!isObject(v)) return { ok: false, errors: [`must be a mapping with an address, got ${shown(v)}`] };
  const errors: string[] = [];
  const warnings: string[] = [];
  const unknown: string[] = [];
  const f = fieldsOf(v, new Set(['address', 'tlsSettings', 'tcpKeepalive']), '', unknown);
  const value: RemoteService = {};
  if (f.address !== undefined) {
    if (typeof f.address !== 'string') errors.push(`address: must be a string, got ${shown(f.address)}`);
    else if (f.address !== '') {
      const issue = addressIssue(f.address);
      if (issue) errors.push(`address: ${issue}`);
      else value.address = f.address;
    }
  }
  const tls = f.tlsSettings === undefined ? undefined : readTls(f.tlsSettings, errors, warnings, unknown);
  if (tls) value.tls = tls;
  const keepalive = f.tcpKeepalive === undefined ? undefined : readKeepalive(f.tcpKeepalive, errors, unknown);
  if (keepalive) value.keepalive = keepalive;
  if (errors.length) return { ok: false, errors };
  if (value.address === undefined && (value.tls || value.keepalive)) warnings.push('address: not set, so the proxy gets no cluster for this service and its tlsSettings and tcpKeepalive do nothing');
  return { ok: true, value, unknown, warnings };
}

/**
 * What a mesh config's legacy access log settings leave undone, said when it loads: enableEnvoyAccessLogService
 * without defaultConfig.envoyAccessLogService.address (only pods whose proxy.istio.io/config names one have the
 * cluster the loggers stream to), and ISTIO_MUTUAL where sidecars get no mesh certificate.
 */
export function accessLogServiceWarnings(enabled: boolean, service: RemoteService | undefined, meshCertificates: boolean): string[] {
  const out: string[] = [];
  if (enabled && service?.address === undefined) {
    out.push("enableEnvoyAccessLogService: defaultConfig.envoyAccessLogService.address is not set: only proxies whose proxy.istio.io/config names one have the envoy_accesslog_service cluster; the others' logs go nowhere");
  }
  if (service?.address !== undefined && service.tls?.mode === 'ISTIO_MUTUAL' && !meshCertificates) {
    out.push('defaultConfig.envoyAccessLogService.tlsSettings.mode: ISTIO_MUTUAL needs mesh certificates in the pods (workloadCertificateSecrets); without them proxies stream their access logs in plaintext');
  }
  return out;
}
