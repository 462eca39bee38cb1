/**
 * Reusable validators: names, hosts, addresses, ports, protocols, durations, regexes, labels, selectors.
 * Each `validateX` returns an error message (undefined when valid) so other modules can reuse them;
 * `checkX` adapts one to the schema layer (reports `path: message`).
 */
import { isIP } from 'node:net';
import { RE2JS } from 're2js';
import { parseDuration } from '../core/duration.js';
import { type Check, type Issues, type Schema, str, obj, strMap, strCheck, enumOf, list, strList, walk, isPlainObject } from './schema.js';

// ---- DNS names ------------------------------------------------------------------------------------------

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL_ANY_CASE = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const WILDCARD_LABEL = /^(\*|(\*|\*-)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;

/** Kubernetes DNS-1123 label: lowercase, ≤ 63 characters (namespaces, Gateway names). */
export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** Istio's DNS-1123 label check, which accepts upper case (subset names, port names). */
export function isIstioDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL_ANY_CASE.test(s);
}

/** Kubernetes DNS-1123 subdomain: lowercase labels separated by dots, ≤ 253 characters (object names). */
export function isDns1123Subdomain(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split('.').every((l) => DNS1123_LABEL.test(l));
}

function checkDomainPreconditions(name: string): string | undefined {
  if (name.length === 0) return 'empty domain name not allowed';
  if (name.length > 255) return `domain name "${name}" too long (max 255)`;
  return undefined;
}

function validateDomainLabels(domain: string, whole = domain): string | undefined {
  const parts = domain.split('.');
  const tld = parts[parts.length - 1];
  if (/^[0-9]+$/.test(tld)) return `domain name "${whole}" invalid (top level domain "${tld}" cannot be all-numeric)`;
  for (let i = 0; i < parts.length; i++) {
    if (i === parts.length - 1 && parts[i] === '') return undefined; // trailing dot: "istio.io."
    if (!isIstioDnsLabel(parts[i])) return `domain name "${whole}" invalid (label "${parts[i]}" invalid)`;
  }
  return undefined;
}

/** A fully qualified or short DNS name without wildcards. */
export function validateFqdn(name: string): string | undefined {
  return checkDomainPreconditions(name) ?? validateDomainLabels(name);
}

/** A DNS name whose first label may be a wildcard (`*`, `*.foo.com`, `*foo.com`); a lone `*` passes. */
export function validateWildcardDomain(name: string): string | undefined {
  const pre = checkDomainPreconditions(name);
  if (pre) return pre;
  const dot = name.indexOf('.');
  const first = dot < 0 ? name : name.slice(0, dot);
  if (!WILDCARD_LABEL.test(first) || first.length > 63) return `domain name "${name}" invalid (label "${first}" invalid)`;
  return dot < 0 ? undefined : validateDomainLabels(name.slice(dot + 1), name);
}

/** A wildcard that is not a whole leftmost label (`*foo.com`, `foo*.com`). */
export function validatePartialWildcard(name: string): string | undefined {
  if (name.includes('*') && name !== '*' && !name.startsWith('*.')) return `partial wildcard "${name}" not allowed`;
  if (name.startsWith('*.') && name.slice(2).includes('*')) return `partial wildcard "${name}" not allowed`;
  return undefined;
}

export const isWildcarded = (host: string): boolean => host.startsWith('*');

/** Whether two hosts overlap (equal, or one wildcard covers the other), as Istio compares VirtualService hosts. */
export function hostsOverlap(a: string, b: string): boolean {
  if (a === b || a === '*' || b === '*') return true;
  const aw = a.startsWith('*');
  const bw = b.startsWith('*');
  if (aw && bw) return a.length < b.length ? b.endsWith(a.slice(1)) : a.endsWith(b.slice(1));
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return false;
}

/** Whether `sub` is covered by `sup` (`foo.bar.com` ⊂ `*.bar.com` ⊂ `*`). */
export function hostSubsetOf(sub: string, sup: string): boolean {
  if (sup === '*' || sub === sup) return true;
  if (sup.startsWith('*')) {
    const suffix = sup.slice(1);
    return sub.startsWith('*') ? sub.slice(1).endsWith(suffix) : sub.endsWith(suffix);
  }
  return false;
}

// ---- addresses and ports --------------------------------------------------------------------------------

export function isIpAddress(s: string): boolean {
  return isIP(s) !== 0;
}

export function validateIp(s: string): string | undefined {
  return isIpAddress(s) ? undefined : `${s} is not a valid IP`;
}

/** An IP address or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`). */
export function validateIpOrCidr(s: string): string | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return validateIp(s);
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  const family = isIP(ip);
  const max = family === 4 ? 32 : 128;
  if (family === 0 || !/^[0-9]{1,3}$/.test(bits) || Number(bits) > max) return `${s} is not a valid CIDR block`;
  return undefined;
}

export function validatePort(n: number): string | undefined {
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? undefined : `port number ${n} must be in the range 1..65535`;
}

export function validatePortName(name: string): string | undefined {
  return isIstioDnsLabel(name) ? undefined : `invalid port name "${name}"`;
}

/** Protocols Istio understands on ports (matched case-insensitively; empty means sniffing). */
export const PROTOCOLS = ['TCP', 'UDP', 'GRPC', 'GRPC-WEB', 'HTTP', 'HTTP_PROXY', 'HTTP2', 'HTTPS', 'TLS', 'MONGO', 'REDIS', 'MYSQL'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export function parseProtocol(s: string): Protocol | undefined {
  const up = s.toUpperCase();
  return (PROTOCOLS as readonly string[]).includes(up) ? (up as Protocol) : undefined;
}
export const isHttpProtocol = (p: Protocol | undefined): boolean =>
  p === 'HTTP' || p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-WEB' || p === 'HTTP_PROXY';
export const isTlsProtocol = (p: Protocol | undefined): boolean => p === 'HTTPS' || p === 'TLS';
export const isTcpProtocol = (p: Protocol | undefined): boolean => p === 'TCP' || p === 'HTTPS' || p === 'TLS' || p === 'MONGO' || p === 'REDIS' || p === 'MYSQL';

export function validateProtocol(s: string): string | undefined {
  if (s === '' || parseProtocol(s)) return undefined;
  return `unsupported protocol "${s}", must be one of ${PROTOCOLS.join(', ')}`;
}

// ---- durations ------------------------------------------------------------------------------------------

// Durations are parsed in core/duration.ts (the injector reads them too); validators import them from here.
export { parseDuration };

const MS = 1000000n;

/** Istio's rule for most durations: well formed, at least 1ms, whole milliseconds. */
export function validateDuration(s: string, opts: { allowZero?: boolean } = {}): string | undefined {
  const ns = parseDuration(s);
  if (ns === undefined) return `invalid duration "${s}" (examples: 10s, 1.5s, 250ms, 1h30m)`;
  if (opts.allowZero && ns === 0n) return undefined;
  if (ns < MS) return 'duration must be at least 1ms';
  if (ns % MS !== 0n) return 'only durations to ms precision are supported';
  return undefined;
}

/** Just the format (any length ≥ 0). */
export function validateDurationFormat(s: string): string | undefined {
  const ns = parseDuration(s);
  if (ns === undefined) return `invalid duration "${s}" (examples: 10s, 1.5s, 250ms, 1h30m)`;
  if (ns < 0n) return 'duration must not be negative';
  return undefined;
}

export const durationToMs = (s: string): number | undefined => {
  const ns = parseDuration(s);
  return ns === undefined ? undefined : Number(ns / MS);
};

// ---- regexes and string matches ------------------------------------------------------------------------

const regexVerdicts = new Map<string, string | undefined>();
const REGEX_CACHE_SIZE = 2048;

/** A valid RE2 expression (as Envoy compiles it), at most 1024 characters. Verdicts are cached: compiling is slow. */
export function validateRegex(re: string): string | undefined {
  if (re.length > 1024) return 'regex is too large, max length allowed is 1024';
  if (regexVerdicts.has(re)) return regexVerdicts.get(re);
  let verdict: string | undefined;
  try {
    RE2JS.compile(re);
  } catch (e) {
    verdict = `invalid RE2 regex ${JSON.stringify(re)}: ${(e as Error).message}`;
  }
  if (regexVerdicts.size >= REGEX_CACHE_SIZE) regexVerdicts.delete(regexVerdicts.keys().next().value as string);
  regexVerdicts.set(re, verdict);
  return verdict;
}

const MATCH_ALL = new Set(['.*', '^.*$', '(.*)', '.*$', '^.*']);
export const regexMatchesAnything = (re: string): boolean => MATCH_ALL.has(re);

/** StringMatch: at most one of exact/prefix/regex (the CRD's oneOf). */
export const stringMatchSchema = obj({ exact: str(), prefix: str(), regex: str() }, { atMostOne: [['exact', 'prefix', 'regex']] });

/**
 * Semantic rules of a sanitized StringMatch. `allowEmptyPrefix` is true for `uri` (Envoy accepts an empty path prefix).
 * An empty StringMatch is accepted (as Istio does) but warned about: it matches everything.
 */
export function checkStringMatch(sm: Record<string, unknown> | undefined, path: string, issues: Issues, opts: { allowEmptyPrefix?: boolean } = {}): void {
  if (!sm) return;
  const { exact, prefix, regex } = sm as { exact?: string; prefix?: string; regex?: string };
  if (exact === undefined && prefix === undefined && regex === undefined) {
    issues.warn(path, 'none of exact, prefix or regex is set: this matches any value');
    return;
  }
  if (prefix === '' && !opts.allowEmptyPrefix) issues.error(`${path}.prefix`, 'prefix string match should not be empty');
  if (regex !== undefined) {
    if (regex === '') issues.error(`${path}.regex`, 'regex string match should not be empty');
    else {
      const e = validateRegex(regex);
      if (e) issues.error(`${path}.regex`, e);
      else if (regexMatchesAnything(regex)) issues.warn(`${path}.regex`, `regex ${JSON.stringify(regex)} matches any value`);
    }
  }
}

export * from './headers.js';

// ---- labels and selectors -----------------------------------------------------------------------------

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** A Kubernetes label key: optional DNS-subdomain prefix and `/`, then a name of ≤ 63 characters. */
export function validateLabelKey(k: string): string | undefined {
  const slash = k.lastIndexOf('/');
  const prefix = slash < 0 ? '' : k.slice(0, slash);
  const name = slash < 0 ? k : k.slice(slash + 1);
  if (slash >= 0 && (prefix.length > 253 || !prefix.split('.').every((l) => DNS1123_LABEL_ANY_CASE.test(l)))) return `invalid label key "${k}" (bad prefix)`;
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) return `invalid label key "${k}"`;
  return undefined;
}

export function validateLabelValue(v: string): string | undefined {
  if (v === '') return undefined;
  if (v.length > 63 || !QUALIFIED_NAME.test(v)) return `invalid label value "${v}"`;
  return undefined;
}

/** A label map (subset labels, sourceLabels, endpoint labels): keys and values as Kubernetes allows them. */
export const labelsSchema = (maxProperties?: number): Schema =>
  strMap({ key: check(validateLabelKey), value: check(validateLabelValue), maxProperties });

function checkSelectorEntry(what: 'key' | 'value'): Check<string> {
  return (v, path, issues) => {
    if (what === 'key' && v === '') issues.error(path, 'key must not be empty');
    if (v.includes('*')) issues.error(path, `wildcard not allowed in label ${what} match`);
    if (what === 'value' && v.length > 63) issues.error(path, 'must be at most 63 characters');
  };
}

/** `selector` / `workloadSelector` in the security API and DestinationRule: `{matchLabels: {...}}`. */
export const matchLabelsSelectorSchema = obj({
  matchLabels: strMap({ key: checkSelectorEntry('key'), value: checkSelectorEntry('value'), maxProperties: 4096 }),
});

/** `workloadSelector` in Sidecar and ServiceEntry: `{labels: {...}}`. */
export const labelsSelectorSchema = obj({
  labels: strMap({ key: checkSelectorEntry('key'), value: checkSelectorEntry('value'), maxProperties: 256 }),
});

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

const labelSelectorSchema = obj({
  matchLabels: labelsSchema(),
  matchExpressions: list(
    obj(
      { key: strCheck(check(validateLabelKey)), operator: enumOf(...SELECTOR_OPERATORS), values: strList(check(validateLabelValue)) },
      { required: ['key', 'operator'] },
    ),
  ),
});

/**
 * A Kubernetes LabelSelector (`{matchLabels, matchExpressions}`), checked as metav1.LabelSelectorAsSelector
 * checks one: label keys and values, the four operators, values for In/NotIn and none for Exists/DoesNotExist.
 * Unknown fields and null items are errors. src/inject/selector.ts matches the selectors that pass.
 */
export function checkLabelSelector(value: unknown, path: string, issues: Issues): void {
  walk(labelSelectorSchema, value, path, issues);
  if (!isPlainObject(value) || !Array.isArray(value.matchExpressions)) return;
  value.matchExpressions.forEach((e: unknown, i) => {
    if (!isPlainObject(e)) return;
    const values = e.values ?? [];
    if (!Array.isArray(values)) return; // the schema reported it
    const p = `${path}.matchExpressions[${i}].values`;
    if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) issues.error(p, 'must be non-empty for In and NotIn');
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0) issues.error(p, 'must be empty for Exists and DoesNotExist');
  });
}

/** Warns when a selector is present but selects by no label (it then applies to every workload in the namespace). */
export function warnEmptySelector(sel: Record<string, unknown> | undefined, labelsField: 'matchLabels' | 'labels', path: string, issues: Issues): void {
  if (!sel) return;
  const labels = sel[labelsField];
  if (!labels || Object.keys(labels as object).length === 0) {
    issues.warn(path, 'workload selector specified without labels: it applies to every workload in the namespace');
  }
}

// ---- misc ------------------------------------------------------------------------------------------------

/** Adapts a message-returning validator to the schema layer. */
export function check<T>(fn: (v: T) => string | undefined): Check<T> {
  return (v, path, issues) => {
    const e = fn(v);
    if (e) issues.error(path, e);
  };
}

export const portNumber = (n: number, path: string, issues: Issues): void => {
  const e = validatePort(n);
  if (e) issues.error(path, e);
};

export const durationField: Schema = strCheck(check((s: string) => validateDuration(s)));
export const durationFormatField: Schema = strCheck(check(validateDurationFormat));

/** Names of gateways in VirtualService `gateways` and match `gateways`: `mesh`, `name`, `ns/name`, legacy `name.ns`. */
export function checkGatewayName(name: string, path: string, issues: Issues): void {
  const slash = name.indexOf('/');
  if (slash < 0) {
    if (name.includes('.')) {
      const parts = name.split('.');
      issues.warn(path, `using legacy gateway name format "${name}"; prefer <namespace>/<name>: "${parts[1]}/${parts[0]}"`);
    }
    const e = validateFqdn(name);
    if (e) issues.error(path, e);
    return;
  }
  const ns = name.slice(0, slash);
  const gw = name.slice(slash + 1);
  if (!ns || !gw) issues.error(path, 'namespace and gateway name cannot be empty');
  if (!isIstioDnsLabel(ns)) issues.error(path, `invalid namespace "${ns}" in gateway name`);
  if (!isIstioDnsLabel(gw)) issues.error(path, `invalid gateway name "${gw}"`);
}

/** `exportTo`: `.`, `*`, `~` (ServiceEntry only) or namespace names; no duplicates; `*`/`~` alone. */
export function checkExportTo(list: unknown, namespace: string | undefined, path: string, issues: Issues, opts: { serviceEntry?: boolean } = {}): void {
  if (!Array.isArray(list) || list.length === 0) return;
  const seen = new Set<string>();
  list.forEach((e, i) => {
    if (typeof e !== 'string') return;
    const p = `${path}[${i}]`;
    const key = e === '.' && namespace ? namespace : e;
    if (seen.has(key)) issues.error(p, `duplicate entry "${e}" in exportTo`);
    seen.add(key);
    if (e === '~') {
      if (!opts.serviceEntry) issues.error(p, 'exportTo "~" is only allowed on ServiceEntry');
    } else if (e !== '.' && e !== '*' && !isDns1123Label(e)) issues.error(p, `invalid exportTo value "${e}": must be ".", "*" or a namespace name`);
  });
  if (seen.has('*') && list.length > 1) issues.error(path, 'cannot have both public (*) and non-public exportTo values');
  if (seen.has('~') && list.length > 1) issues.error(path, 'cannot export to no one (~) and someone');
}

/** Kubernetes-style map of labels with string values; re-exported for callers that only need the predicate. */
export function validateLabels(labels: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const ek = validateLabelKey(k);
    if (ek) out.push(ek);
    const ev = validateLabelValue(v);
    if (ev) out.push(ev);
  }
  return out;
}

/** Percent `{value: double}` with Istio's rule: 0, or within [0.0001, 100]. */
export const percentSchema = obj({
  value: { type: 'number', check: check((v: number) => (v < 0 || v > 100 || (v > 0 && v < 0.0001) ? `percentage ${v} is neither 0.0, nor in range [0.0001, 100.0]` : undefined)) },
});

/** Percent of mirrored traffic: Istio checks only that it is within [0, 100] (a tiny value mirrors next to nothing). */
export const mirrorPercentSchema = obj({
  value: { type: 'number', check: check((v: number) => (v < 0 || v > 100 ? `percentage ${v} is not in range [0.0, 100.0]` : undefined)) },
});

/**
 * Warnings that hold only where sidecars get no mesh certificates (mesh config workloadCertificateSecrets off): the
 * webhook leaves them out when the mesh config has them on.
 */
export const WITHOUT_SIDECAR_CERTIFICATES = {
  istioMutual: 'Envoy sidecars send this over mTLS only when injected with mesh certificates (mesh config workloadCertificateSecrets); without them, in plaintext',
  strict: 'Envoy sidecars enforce STRICT only when injected with mesh certificates (mesh config workloadCertificateSecrets); without them they still accept plaintext',
} as const;
