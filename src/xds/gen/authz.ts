/**
 * AuthorizationPolicy → RBAC filters on a workload's inbound traffic, as istiod builds them.
 *
 * Which policies: those in a root namespace (model/root-namespaces.ts) or the workload's namespace whose
 * `selector.matchLabels` is empty or matches the workload, or whose targetRefs name the Gateway API Gateway the
 * workload serves (model/policy-attachment.ts); dry-run ones (`istio.io/dry-run: "true"`) are not enforced, nor is
 * AUDIT. The filters, in Envoy's
 * order: CUSTOM (the requests its policies match go to the mesh config's external authorization provider,
 * ext-authz.ts; where that cannot be, they are denied by the DENY filter, as istiod does), one DENY, then one
 * ALLOW (when any ALLOW policy applies: then a request no ALLOW rule matches is refused, and a policy without rules
 * allows nothing).
 *
 * A rule becomes one RBAC policy named `ns[<ns>]-policy[<name>]-rule[<i>]`: its permissions are its `to`
 * operations (hosts, methods, paths, ports, and their not-forms) with the destination-side `when` keys, its
 * principals its `from` sources (principals, namespaces, service accounts, trust domains, IP blocks, request
 * principals) with the source-side ones; values of one field are ORed, fields ANDed, not-values negated. On a
 * TCP filter chain the HTTP-only fields cannot be checked: a rule using one is dropped from an ALLOW filter
 * (allowing less) and the field is left out in a DENY filter (denying more), as in istiod. Identities
 * (principals, namespaces) need mTLS: Envoy sidecars with mesh certificates take it (mtls.ts), proxyless gRPC
 * servers under PeerAuthentication STRICT (peer-auth.ts, grpc/tls.ts); elsewhere they match no request.
 * Request principals and claims read the payload a RequestAuthentication's JWT filter verified (jwt.ts), on Envoy
 * sidecars and gateways; gRPC servers have no such filter. Pure.
 */
import { escapeRegex } from '../../core/regex.js';
import type { Config, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { asArray, asObject, policySelector } from '../../model/selectors.js';
import { expandTrustDomains, migratePrincipals } from '../../model/trust-domain.js';
import { policyAttaches } from '../../model/policy-attachment.js';
import { rootNamespacesOf, rootsKey } from '../../model/root-namespaces.js';
import { type Json, JWT_FILTER, JWT_PAYLOAD_KEY, any, jwtClaimMatcher } from './common.js';
import { labelsKey, memoOn, proxyLabels } from './context.js';
import { type ExtAuthzTarget, customHttpFilters, customRuleName, customTcpFilters, extAuthzTarget, isCustom } from './ext-authz.js';

type Action = 'ALLOW' | 'DENY';
type Side = 'permission' | 'principal';

/** One field of a rule: its values and not-values, and how one value becomes a matcher (an Error: cannot). */
interface Field {
  key: string;
  values: string[];
  notValues: string[];
  side: Side;
  make: (value: string, forTCP: boolean) => Json | Error;
}

const CUSTOM_SUFFIX = '-deny-due-to-bad-CUSTOM-action';
const MATCH_NEVER: Json = { permissions: [{ not_rule: { any: true } }], principals: [{ not_id: { any: true } }] };

const strings = (v: unknown): string[] => asArray(v).filter((x): x is string => typeof x === 'string');
const httpOnly = (key: string) => new Error(`"${key}" is HTTP only`);

/** Istio's string matcher: "*" any non-empty value, "*x" a suffix, "x*" a prefix, else exact; `prefix` goes in front. */
function stringMatcher(v: string, prefix = ''): Json {
  if (v === '*') return { safe_regex: { regex: '.+' } };
  if (v.startsWith('*')) return prefix === '' ? { suffix: v.slice(1) } : { safe_regex: { regex: `${escapeRegex(prefix)}.*${escapeRegex(v.slice(1))}` } };
  if (v.endsWith('*')) return { prefix: prefix + v.slice(0, -1) };
  return { exact: prefix + v };
}

function headerMatcher(name: string, v: string, ignoreCase = false): Json {
  if (v === '*') return { name, present_match: true };
  const ic = ignoreCase ? { ignore_case: true } : {};
  if (v.startsWith('*')) return { name, string_match: { suffix: v.slice(1), ...ic } };
  if (v.endsWith('*')) return { name, string_match: { prefix: v.slice(0, -1), ...ic } };
  return { name, string_match: { exact: v, ...ic } };
}

/** A path: Istio's string forms, or a template with {*} (one segment) and {**} (any rest) as a regex. */
function pathMatcher(v: string): Json {
  if (!v.includes('{*')) return { url_path: { path: stringMatcher(v) } };
  const re = v
    .split(/(\{\*\*\}|\{\*\})/)
    .map((part) => (part === '{**}' ? '.*' : part === '{*}' ? '[^/]+' : escapeRegex(part)))
    .join('');
  return { url_path: { path: { safe_regex: { regex: re } } } };
}

function cidr(v: string): Json | Error {
  const [ip, len] = v.split('/');
  const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(ip ?? '');
  const v6 = !v4 && (ip ?? '').includes(':');
  const max = v4 ? 32 : 128;
  const n = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(v4 || v6) || !(n >= 0 && n <= max)) return new Error(`invalid IP address or CIDR: ${v}`);
  return { address_prefix: ip, prefix_len: { value: n } };
}

const authenticated = (m: Json): Json => ({ authenticated: { principal_name: m } });
/** A match on the JWT payload the jwt_authn filter leaves in the request's metadata (claims: a path into it). */
const jwtClaim = (claims: string[], value: Json): Json => ({ metadata: { filter: JWT_FILTER, path: [{ key: JWT_PAYLOAD_KEY }, ...claims.map((key) => ({ key }))], value } });
/** A claim whose value, or one element of it when it is a list, matches v (request.auth.claims[...]), as istiod matches it. */
const claimValue = (claims: string[], v: string): Json => ({ metadata: jwtClaimMatcher(claims, { string_match: stringMatcher(v) }) });

function requestPrincipal(v: string): Json {
  const anyValue = { safe_regex: { regex: '.+' } };
  const at = v.lastIndexOf('/');
  const [iss, sub] = at >= 0 ? [v.slice(0, at), v.slice(at + 1)] : [v, ''];
  let mi: Json;
  let ms: Json;
  if (v === '*') [mi, ms] = [anyValue, anyValue];
  else if (v.startsWith('*')) [mi, ms] = at >= 0 ? [iss === '*' ? anyValue : { suffix: iss.slice(1) }, { exact: sub }] : [anyValue, { suffix: v.slice(1) }];
  else if (v.endsWith('*')) [mi, ms] = at >= 0 ? [{ exact: iss }, sub === '*' ? anyValue : { prefix: sub.slice(0, -1) }] : [{ prefix: v.slice(0, -1) }, anyValue];
  else [mi, ms] = [{ exact: iss }, { exact: sub }];
  return { and_ids: { ids: [jwtClaim(['iss'], { string_match: mi }), jwtClaim(['sub'], { string_match: ms })] } };
}

function trustDomain(v: string): Json {
  if (v === '*') return { prefix: 'spiffe://' };
  if (!v.includes('*')) return { prefix: `spiffe://${v}/` };
  const [a, b] = v.split('*', 2) as [string, string];
  return { safe_regex: { regex: `spiffe://${escapeRegex(a)}[^/]*${escapeRegex(b ?? '')}/.*` } };
}

function serviceAccount(policyNamespace: string, v: string): Json {
  const [ns, sa] = v.includes('/') ? (v.split('/', 2) as [string, string]) : [policyNamespace, v];
  return { safe_regex: { regex: `spiffe://.+/ns/${escapeRegex(ns)}/(.+/|)sa/${escapeRegex(sa)}(/.+)?` } };
}

/** The matcher makers by key (the `when` keys, and the internal keys of `from`/`to` fields). */
function maker(key: string, policyNamespace: string): Pick<Field, 'side' | 'make'> | undefined {
  const header = /^request\.headers\[(.+)\]$/.exec(key);
  if (header) return { side: 'principal', make: (v, tcp) => (tcp ? httpOnly(key) : { header: headerMatcher(header[1]!, v) }) };
  const claim = /^request\.auth\.claims\[(.+)\]$/.exec(key);
  if (claim) return { side: 'principal', make: (v, tcp) => (tcp ? httpOnly(key) : claimValue(claim[1]!.split(']['), v)) };
  // `experimental.envoy.filters.<filter>[<key>]`: the dynamic metadata an Envoy filter left (a value `[v]` matches
  // one element of a list), as istiod's envoyFilterGenerator.
  const metadata = /^experimental\.(envoy\.filters\.[^[\]]+)\[(.+)\]$/.exec(key);
  if (metadata) {
    const [, filter, path] = metadata as unknown as [string, string, string];
    return {
      side: 'permission',
      make: (v) => {
        const list = v.length >= 2 && v.startsWith('[') && v.endsWith(']');
        const value = list ? { list_match: { one_of: { string_match: stringMatcher(v.slice(1, -1)) } } } : { string_match: stringMatcher(v) };
        return { metadata: { filter, path: [{ key: path }], value } };
      },
    };
  }
  switch (key) {
    case 'destination.ip':
      return { side: 'permission', make: (v) => ((c) => (c instanceof Error ? c : { destination_ip: c }))(cidr(v)) };
    case 'destination.port':
    case 'port':
      return { side: 'permission', make: (v) => (/^\d{1,5}$/.test(v) && Number(v) <= 65535 ? { destination_port: Number(v) } : new Error(`invalid port: ${v}`)) };
    case 'connection.sni':
      return { side: 'permission', make: (v) => ({ requested_server_name: stringMatcher(v) }) };
    case 'host':
      return { side: 'permission', make: (v, tcp) => (tcp ? httpOnly('hosts') : { header: headerMatcher(':authority', v, true) }) };
    case 'method':
      return { side: 'permission', make: (v, tcp) => (tcp ? httpOnly('methods') : { header: headerMatcher(':method', v) }) };
    case 'path':
      return { side: 'permission', make: (v, tcp) => (tcp ? httpOnly('paths') : pathMatcher(v)) };
    case 'source.ip':
      return { side: 'principal', make: (v) => ((c) => (c instanceof Error ? c : { direct_remote_ip: c }))(cidr(v)) };
    case 'remote.ip':
      return { side: 'principal', make: (v) => ((c) => (c instanceof Error ? c : { remote_ip: c }))(cidr(v)) };
    case 'source.namespace':
      return { side: 'principal', make: (v) => authenticated({ safe_regex: { regex: `.*/ns/${v.split('*').map(escapeRegex).join('.*')}/.*` } }) };
    case 'source.principal':
      return { side: 'principal', make: (v) => authenticated(stringMatcher(v, 'spiffe://')) };
    case 'source.serviceAccount':
      return { side: 'principal', make: (v) => authenticated(serviceAccount(policyNamespace, v)) };
    case 'source.trustDomain':
      return { side: 'principal', make: (v) => authenticated(trustDomain(v)) };
    case 'request.auth.principal':
      return { side: 'principal', make: (v, tcp) => (tcp ? httpOnly(key) : requestPrincipal(v)) };
    case 'request.auth.audiences':
      return { side: 'principal', make: (v, tcp) => (tcp ? httpOnly(key) : claimValue(['aud'], v)) };
    case 'request.auth.presenter':
      return { side: 'principal', make: (v, tcp) => (tcp ? httpOnly(key) : claimValue(['azp'], v)) };
    default:
      return undefined;
  }
}

const SOURCE_FIELDS: Array<[string, string, string]> = [
  ['principals', 'notPrincipals', 'source.principal'],
  ['requestPrincipals', 'notRequestPrincipals', 'request.auth.principal'],
  ['serviceAccounts', 'notServiceAccounts', 'source.serviceAccount'],
  ['trustDomains', 'notTrustDomains', 'source.trustDomain'],
  ['namespaces', 'notNamespaces', 'source.namespace'],
  ['remoteIpBlocks', 'notRemoteIpBlocks', 'remote.ip'],
  ['ipBlocks', 'notIpBlocks', 'source.ip'],
];
const OPERATION_FIELDS: Array<[string, string, string]> = [
  ['hosts', 'notHosts', 'host'],
  ['methods', 'notMethods', 'method'],
  ['paths', 'notPaths', 'path'],
  ['ports', 'notPorts', 'port'],
];

/** A rule as lists of fields: one permission list per `to` (or one), one principal list per `from` (or one). */
function ruleModel(rule: Json, policyNamespace: string, domains: readonly string[]): { permissions: Field[][]; principals: Field[][] } | Error {
  const base: Record<Side, Field[]> = { permission: [], principal: [] };
  for (const w of asArray(rule.when).map(asObject)) {
    const key = typeof w.key === 'string' ? w.key : '';
    const m = maker(key, policyNamespace);
    if (!m || key === 'port' || key === 'host' || key === 'method' || key === 'path') return new Error(`unknown attribute ${key}`);
    base[m.side].push(migrated({ key, values: strings(w.values), notValues: strings(w.notValues), ...m }, domains));
  }
  const fields = (obj: Json, table: Array<[string, string, string]>): Field[] =>
    table
      .map(([v, nv, key]) => ({ key, values: strings(obj[v]), notValues: strings(obj[nv]), ...maker(key, policyNamespace)! }))
      .filter((f) => f.values.length > 0 || f.notValues.length > 0)
      .map((f) => migrated(f, domains));
  const from = asArray(rule.from).map((f) => asObject(asObject(f).source));
  const to = asArray(rule.to).map((t) => asObject(asObject(t).operation));
  return {
    principals: from.length > 0 ? from.map((s) => [...fields(s, SOURCE_FIELDS), ...base.principal]) : [base.principal],
    permissions: to.length > 0 ? to.map((o) => [...fields(o, OPERATION_FIELDS), ...base.permission]) : [base.permission],
  };
}

/** A principal or trust domain field under the mesh's trust domain and its aliases (model/trust-domain.ts). */
function migrated(f: Field, domains: readonly string[]): Field {
  if (domains.length === 0) return f;
  if (f.key === 'source.principal') return { ...f, values: migratePrincipals(f.values, domains), notValues: migratePrincipals(f.notValues, domains) };
  if (f.key === 'source.trustDomain') return { ...f, values: expandTrustDomains(f.values, domains), notValues: expandTrustDomains(f.notValues, domains) };
  return f;
}

/** AND of the fields (OR over values, NOT of OR over not-values); an Error drops the rule (ALLOW only). */
function generate(fields: Field[], side: Side, forTCP: boolean, action: Action): Json | Error {
  const [and, or, not] = side === 'permission' ? ['and_rules', 'or_rules', 'not_rule'] : ['and_ids', 'or_ids', 'not_id'];
  const list = (ms: Json[]): Json => (side === 'permission' ? { [or]: { rules: ms } } : { [or]: { ids: ms } });
  const parts: Json[] = [];
  for (const f of fields) {
    for (const [values, negate] of [
      [f.values, false],
      [f.notValues, true],
    ] as const) {
      const ms: Json[] = [];
      for (const v of values) {
        const m = f.make(v, forTCP);
        if (m instanceof Error) {
          if (action === 'ALLOW') return m;
          continue; // a DENY rule widens: the value is left out
        }
        ms.push(m);
      }
      if (ms.length > 0) parts.push(negate ? { [not]: list(ms) } : list(ms));
    }
  }
  if (parts.length === 0) parts.push({ any: true });
  return side === 'permission' ? { [and]: { rules: parts } } : { [and]: { ids: parts } };
}

/** One rule's RBAC policy; undefined when the rule cannot be enforced as written (see the module comment). */
export function rulePolicy(rule: Json, policyNamespace: string, forTCP: boolean, action: Action, domains: readonly string[] = []): Json | undefined {
  const model = ruleModel(rule, policyNamespace, domains);
  if (model instanceof Error) return undefined;
  const permissions = model.permissions.map((f) => generate(f, 'permission', forTCP, action));
  const principals = model.principals.map((f) => generate(f, 'principal', forTCP, action));
  if ([...permissions, ...principals].some((p) => p instanceof Error)) return undefined;
  return { permissions, principals };
}

const byName = (a: Config, b: Config): number => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);

/** The enforced policies that apply to a workload with these labels in `namespace`, `roots` being the root namespaces. */
export function policiesFor(policies: readonly Config[], namespace: string, labels: Readonly<Record<string, string>>, roots: readonly string[]): Config[] {
  return policies
    .filter((p) => {
      if (p.namespace !== namespace && !roots.includes(p.namespace)) return false;
      if (p.annotations?.['istio.io/dry-run'] === 'true') return false;
      return policyAttaches(p.spec, policySelector(p.spec), p.namespace, namespace, labels);
    })
    .sort(byName);
}

const actionOf = (p: Config): string => (typeof p.spec?.action === 'string' ? p.spec.action : 'ALLOW');

/**
 * The RBAC `rules` of one action from these policies; undefined when none of them has that action. `custom`: the
 * CUSTOM policies go to DENY (no provider to send their requests to); `named`: an RBAC policy's name for a rule.
 */
function rbacRules(policies: readonly Config[], action: Action, forTCP: boolean, custom: boolean, domains: readonly string[], named = ruleName): Json | undefined {
  const chosen = policies.filter((p) => (action === 'ALLOW' ? actionOf(p) === 'ALLOW' : actionOf(p) === 'DENY' || (custom && actionOf(p) === 'CUSTOM')));
  if (chosen.length === 0) return undefined;
  const out: Json = {};
  for (const p of chosen) {
    const rules = asArray(p.spec?.rules);
    rules.forEach((raw, i) => {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return;
      const policy = rulePolicy(raw as Json, p.namespace, forTCP, action, domains);
      if (policy) out[named(p, i)] = policy;
    });
    if (rules.length === 0) out[named(p, 0)] = MATCH_NEVER;
  }
  return { action, policies: out };
}

const ruleName = (p: Config, i: number): string => `ns[${p.namespace}]-policy[${p.name}]-rule[${i}]${actionOf(p) === 'CUSTOM' ? CUSTOM_SUFFIX : ''}`;

/** CUSTOM filters for a chain (HTTP or TCP), or undefined when its CUSTOM policies must deny instead. */
function customFilters(policies: readonly Config[], target: ExtAuthzTarget, forTCP: boolean, domains: readonly string[]): Json[] | undefined {
  // CUSTOM rules are built as DENY rules are (a TCP chain leaves HTTP-only fields out: more requests are checked).
  const shadow = rbacRules(policies.filter(isCustom), 'DENY', forTCP, true, domains, (p, i) => customRuleName(target.name, p.namespace, p.name, i));
  if (!shadow) return [];
  return forTCP ? customTcpFilters(target, shadow) : customHttpFilters(target, shadow);
}

export interface InboundAuthz {
  /** HTTP filters of CUSTOM policies (external authorization), first among an inbound HTTP connection manager's. */
  custom: Json[];
  /** The DENY and ALLOW HTTP filters, after `custom` (and after the WasmPlugins of the AUTHZ phase: wasm.ts). */
  rbac: Json[];
  /** Network filters of CUSTOM policies, first before an inbound tcp_proxy. */
  tcpCustom: Json[];
  /** The DENY and ALLOW network filters, after `tcpCustom` (and after the NETWORK WasmPlugins of the AUTHZ phase: wasm.ts). */
  tcpRbac: Json[];
}

const NONE: InboundAuthz = { custom: [], rbac: [], tcpCustom: [], tcpRbac: [] };
const memo = new WeakMap<readonly Config[], Map<string, InboundAuthz>>();

const applicable = new WeakMap<readonly Config[], Map<string, Config[]>>();

/** The RBAC (and external authorization) filters for a proxy's inbound traffic (none when no policy applies). */
export function inboundAuthz(snap: Snapshot, proxy: Proxy): InboundAuthz {
  if (snap.authorizationPolicies.length === 0) return NONE;
  const labels = proxyLabels(snap, proxy);
  const roots = rootNamespacesOf(snap.mesh);
  const workload = `${rootsKey(roots)}\n${proxy.namespace}\n${labelsKey(labels)}`;
  const policies = memoOn(applicable, snap.authorizationPolicies, workload, () => policiesFor(snap.authorizationPolicies, proxy.namespace, labels, roots));
  if (policies.length === 0) return NONE;
  // Where CUSTOM policies go depends on the mesh config and on the services the proxy sees, beyond the policies.
  const target = extAuthzTarget(snap, proxy, policies);
  const key = target ? `${workload}\n${target.name}\n${target.cluster}\n${JSON.stringify(target.provider)}` : workload;
  return memoOn(memo, snap.authorizationPolicies, key, () => {
    const out: InboundAuthz = { custom: [], rbac: [], tcpCustom: [], tcpRbac: [] };
    // The mesh's trust domain and its aliases: principals match under each (model/trust-domain.ts).
    const domains = [snap.mesh.trustDomain, ...(snap.mesh.trustDomainAliases ?? [])];
    const http = target && customFilters(policies, target, false, domains);
    const tcp = target && customFilters(policies, target, true, domains);
    if (http) out.custom.push(...http);
    if (tcp) out.tcpCustom.push(...tcp);
    for (const action of ['DENY', 'ALLOW'] as const) {
      const httpRules = rbacRules(policies, action, false, !http, domains);
      // Named apart (istiod names both envoy.filters.http.rbac): gRPC refuses two filters of one name.
      const suffix = action.toLowerCase();
      if (httpRules) out.rbac.push({ name: `envoy.filters.http.rbac.${suffix}`, typed_config: any('envoy.extensions.filters.http.rbac.v3.RBAC', { rules: httpRules }) });
      const tcpRules = rbacRules(policies, action, true, !tcp, domains);
      if (tcpRules) out.tcpRbac.push({ name: `envoy.filters.network.rbac.${suffix}`, typed_config: any('envoy.extensions.filters.network.rbac.v3.RBAC', { rules: tcpRules, stat_prefix: 'tcp.' }) });
    }
    return out;
  });
}
