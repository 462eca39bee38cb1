/**
 * EnvoyFilter (networking.istio.io/v1alpha3 only): patches applied to the Envoy configuration the control plane
 * generates. The schema mirrors Istio's CRD (enums, the one-object match, workloadSelector xor targetRefs, the
 * waypoint rule); the semantic rules are those of Istio's webhook: applyTo, patch and operation present, a value for
 * every operation but REMOVE, a proxyVersion that compiles, a match object that fits applyTo, filter and sub-filter
 * matches that name something. Warnings say where a patch changes nothing, in Istio or in mizzen.
 */
import { type Issues, type Obj, obj, str, int32, uint32, list, strMap, enumOf, any, each, isPlainObject } from './schema.js';
import { labelsSelectorSchema, validateRegex, warnEmptySelector } from './common.js';
import { targetRefSchema, warnTargetRefs } from './security.js';
import type { KindValidator } from './kind.js';
import { filtersWithoutTypedConfig, fromEnvoyJson } from '../xds/envoy-json.js';
import { PATCH_VALUE_TYPES } from '../xds/gen/envoyfilter/patches.js';

export const APPLY_TO = [
  'INVALID', 'LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER', 'ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE', 'CLUSTER',
  'EXTENSION_CONFIG', 'BOOTSTRAP', 'LISTENER_FILTER',
] as const;
export type ApplyTo = (typeof APPLY_TO)[number];

export const OPERATIONS = ['INVALID', 'MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST', 'REPLACE', 'MERGE_AND_REPLACE_LIST'] as const;
export type Operation = (typeof OPERATIONS)[number];

const CONTEXTS = ['ANY', 'SIDECAR_INBOUND', 'SIDECAR_OUTBOUND', 'GATEWAY', 'WAYPOINT'];
/** The match objects, of which a match holds at most one (the proto's oneof). */
const MATCH_OBJECTS = ['listener', 'routeConfiguration', 'cluster', 'waypoint'] as const;

export const HCM = 'envoy.filters.network.http_connection_manager';
const LEGACY_HCM = 'envoy.http_connection_manager';

// ---- schema ----------------------------------------------------------------------------------------------

const subFilterMatch = obj({ name: str() });
const filterMatch = obj({ name: str(), subFilter: subFilterMatch });

const listenerMatch = obj({
  portNumber: uint32(),
  portName: str(),
  filterChain: obj({ name: str(), sni: str(), transportProtocol: str(), applicationProtocols: str(), filter: filterMatch, destinationPort: uint32() }),
  listenerFilter: str(),
  name: str(),
});

const routeConfigurationMatch = obj({
  portNumber: uint32(),
  portName: str(),
  gateway: str(),
  vhost: obj({ name: str(), domainName: str(), route: obj({ name: str(), action: enumOf('ANY', 'ROUTE', 'REDIRECT', 'DIRECT_RESPONSE') }) }),
  name: str(),
});

const clusterMatch = obj({ portNumber: uint32(), service: str(), subset: str(), name: str() });

// The CRD allows only 1-65535 here, where the other port numbers are any uint32.
const waypointPort = uint32((n, p, issues) => (n >= 1 && n <= 65535 ? undefined : issues.error(p, `port ${n} must be between 1 and 65535`)));
const waypointMatch = obj({ portNumber: waypointPort, route: obj({ name: str() }), filter: filterMatch });

const match = obj(
  {
    context: enumOf(...CONTEXTS),
    proxy: obj({ proxyVersion: str(), metadata: strMap() }),
    listener: listenerMatch,
    routeConfiguration: routeConfigurationMatch,
    cluster: clusterMatch,
    waypoint: waypointMatch,
  },
  { atMostOne: [MATCH_OBJECTS] },
);

const patch = obj({
  operation: enumOf(...OPERATIONS),
  // Any JSON object: the Envoy message applyTo names (checkPatchValue).
  value: any,
  filterClass: enumOf('UNSPECIFIED', 'AUTHN', 'AUTHZ', 'STATS'),
});

export const envoyFilterSpec = obj(
  {
    workloadSelector: labelsSelectorSchema,
    targetRefs: list(targetRefSchema, { maxItems: 16 }),
    configPatches: list(obj({ applyTo: enumOf(...APPLY_TO), match, patch })),
    priority: int32(),
  },
  { atMostOne: [['workloadSelector', 'targetRefs']] },
);

// ---- what each applyTo accepts --------------------------------------------------------------------------

const LISTENER_CLASS: ReadonlySet<string> = new Set(['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER']);
const ROUTE_CLASS: ReadonlySet<string> = new Set(['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE']);

const MERGES = ['MERGE', 'MERGE_AND_REPLACE_LIST'] as const;
const INSERTS = ['INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'] as const;

/**
 * The operations that change something, per applyTo, as istiod's patch code applies them. INSERT_* on a list whose
 * order does not matter (listeners, filter chains, virtual hosts, clusters, extension configs) counts as ADD.
 * MERGE_AND_REPLACE_LIST reaches no filter (filters merge their typed config with MERGE only). BOOTSTRAP is left out:
 * mizzen applies no bootstrap patch at all.
 */
export const EFFECTIVE_OPERATIONS: Readonly<Partial<Record<ApplyTo, readonly Operation[]>>> = {
  LISTENER: [...MERGES, 'ADD', 'REMOVE', ...INSERTS],
  FILTER_CHAIN: [...MERGES, 'ADD', 'REMOVE', ...INSERTS],
  LISTENER_FILTER: ['MERGE', 'ADD', 'REMOVE', 'REPLACE', ...INSERTS],
  NETWORK_FILTER: ['MERGE', 'ADD', 'REMOVE', 'REPLACE', ...INSERTS],
  HTTP_FILTER: ['MERGE', 'ADD', 'REMOVE', 'REPLACE', ...INSERTS],
  ROUTE_CONFIGURATION: [...MERGES],
  VIRTUAL_HOST: [...MERGES, 'ADD', 'REMOVE', 'REPLACE', ...INSERTS],
  HTTP_ROUTE: [...MERGES, 'ADD', 'REMOVE', ...INSERTS],
  CLUSTER: [...MERGES, 'ADD', 'REMOVE', ...INSERTS],
  EXTENSION_CONFIG: ['ADD', ...INSERTS],
};

/** Pre-1.14 Envoy filter names and their canonical names, by where a filter sits (Istio warns on these). */
const LEGACY_FILTER_NAMES: Record<'network' | 'http' | 'listener', Record<string, string>> = {
  network: {
    'envoy.client_ssl_auth': 'envoy.filters.network.client_ssl_auth',
    'envoy.ext_authz': 'envoy.filters.network.ext_authz',
    [LEGACY_HCM]: HCM,
    'envoy.mongo_proxy': 'envoy.filters.network.mongo_proxy',
    'envoy.ratelimit': 'envoy.filters.network.ratelimit',
    'envoy.redis_proxy': 'envoy.filters.network.redis_proxy',
    'envoy.tcp_proxy': 'envoy.filters.network.tcp_proxy',
  },
  http: {
    'envoy.buffer': 'envoy.filters.http.buffer',
    'envoy.cors': 'envoy.filters.http.cors',
    'envoy.csrf': 'envoy.filters.http.csrf',
    'envoy.http_dynamo_filter': 'envoy.filters.http.dynamo',
    'envoy.ext_authz': 'envoy.filters.http.ext_authz',
    'envoy.fault': 'envoy.filters.http.fault',
    'envoy.grpc_http1_bridge': 'envoy.filters.http.grpc_http1_bridge',
    'envoy.grpc_json_transcoder': 'envoy.filters.http.grpc_json_transcoder',
    'envoy.grpc_web': 'envoy.filters.http.grpc_web',
    'envoy.gzip': 'envoy.filters.http.gzip',
    'envoy.health_check': 'envoy.filters.http.health_check',
    'envoy.ip_tagging': 'envoy.filters.http.ip_tagging',
    'envoy.lua': 'envoy.filters.http.lua',
    'envoy.rate_limit': 'envoy.filters.http.ratelimit',
    'envoy.router': 'envoy.filters.http.router',
    'envoy.squash': 'envoy.filters.http.squash',
  },
  listener: {
    'envoy.listener.http_inspector': 'envoy.filters.listener.http_inspector',
    'envoy.listener.original_dst': 'envoy.filters.listener.original_dst',
    'envoy.listener.original_src': 'envoy.filters.listener.original_src',
    'envoy.listener.proxy_protocol': 'envoy.filters.listener.proxy_protocol',
    'envoy.listener.tls_inspector': 'envoy.filters.listener.tls_inspector',
  },
};

/** The canonical name of a legacy filter name, looked up first among the filters of its position. */
function canonicalName(name: string, where: keyof typeof LEGACY_FILTER_NAMES): string | undefined {
  const own = LEGACY_FILTER_NAMES[where];
  if (Object.prototype.hasOwnProperty.call(own, name)) return own[name];
  for (const names of Object.values(LEGACY_FILTER_NAMES)) if (Object.prototype.hasOwnProperty.call(names, name)) return names[name];
  return undefined;
}

function warnLegacyName(name: unknown, where: keyof typeof LEGACY_FILTER_NAMES, p: string, issues: Issues): void {
  if (typeof name !== 'string') return;
  const canonical = canonicalName(name, where);
  if (canonical) issues.warn(p, `deprecated filter name "${name}": use "${canonical}" (generated filters carry only the canonical name, so this one matches none of them)`);
}

// ---- rules -----------------------------------------------------------------------------------------------

/** Longer proxyVersion expressions are not compiled: Istio warns, and the patch then matches no proxy. */
const MAX_PROXY_VERSION = 1024;

// What mizzen does differently from istiod: stated where a rule depends on it.
const NO_WAYPOINTS = 'mizzen runs no waypoint proxies: a patch in the WAYPOINT context applies to nothing';
const NOT_APPLIED: Partial<Record<ApplyTo, string>> = {
  BOOTSTRAP: 'mizzen writes the Envoy bootstrap when it injects the sidecar and does not patch it: this patch has no effect',
  EXTENSION_CONFIG: 'mizzen serves no extension config discovery (ECDS): this patch has no effect',
};
const UNSTABLE =
  'EnvoyFilter edits the generated Envoy configuration directly: the names and shapes it relies on are not a stable API and may change with any upgrade; prefer the other Istio APIs where they suffice';

function checkProxyVersion(version: string, p: string, issues: Issues): void {
  if (version === '') return;
  if (version.length > MAX_PROXY_VERSION) {
    issues.warn(p, `longer than ${MAX_PROXY_VERSION} characters: the expression is not compiled and the patch matches no proxy`);
    return;
  }
  const e = validateRegex(version);
  if (e) issues.error(p, e);
}

/** The match object must be one applyTo can use (only checked when the match has one). */
function checkMatchFitsApplyTo(applyTo: ApplyTo, m: Obj, mp: string, issues: Issues): void {
  const present = MATCH_OBJECTS.filter((k) => m[k] !== undefined);
  if (present.length === 0) return;
  const wrong = (want: string) => {
    for (const k of present) issues.error(`${mp}.${k}`, `applyTo ${applyTo} needs a ${want} match, not a ${k} match`);
  };
  if (LISTENER_CLASS.has(applyTo) && m.listener === undefined) wrong('listener');
  else if (ROUTE_CLASS.has(applyTo) && m.routeConfiguration === undefined) wrong('routeConfiguration');
  else if (applyTo === 'CLUSTER' && m.cluster === undefined) wrong('cluster');
  else if (applyTo === 'LISTENER_FILTER' && m.listener === undefined) {
    // Istio accepts it; its patch code then finds no listener condition and patches every listener.
    for (const k of present) issues.warn(`${mp}.${k}`, `a ${k} match does not select listeners: this LISTENER_FILTER patch applies to every listener`);
  }
}

/** Filter and sub-filter matches of a listener-class patch (LISTENER, FILTER_CHAIN, NETWORK_FILTER, HTTP_FILTER). */
function checkFilterMatch(applyTo: ApplyTo, filter: Obj, fp: string, issues: Issues): void {
  if (applyTo === 'LISTENER' || applyTo === 'FILTER_CHAIN') {
    // Istio only warns, to keep old resources admitted.
    issues.warn(fp, `a filter match has no effect with applyTo ${applyTo}`);
  }
  if (!filter.name) {
    issues.error(`${fp}.name`, 'a filter match needs a filter name to match on');
    return;
  }
  warnLegacyName(filter.name, 'network', `${fp}.name`, issues);
  const sub: Obj | undefined = filter.subFilter;
  if (!sub) return;
  if (applyTo !== 'HTTP_FILTER') issues.error(`${fp}.subFilter`, `a subFilter match is only used with applyTo HTTP_FILTER, not ${applyTo}`);
  else if (filter.name !== HCM && filter.name !== LEGACY_HCM) issues.error(`${fp}.name`, `a subFilter match needs the filter match to name ${HCM}, not "${filter.name}"`);
  if (!sub.name) issues.error(`${fp}.subFilter.name`, 'a subFilter match needs a filter name to match on');
  else warnLegacyName(sub.name, 'http', `${fp}.subFilter.name`, issues);
}

function checkListenerMatch(applyTo: ApplyTo, l: Obj, lp: string, issues: Issues): void {
  // Istio's API keeps the field but never implemented it.
  if (l.portName !== undefined) issues.warn(`${lp}.portName`, 'listener portName is not implemented (in Istio either) and is ignored: match on portNumber');
  if (applyTo === 'LISTENER_FILTER') warnLegacyName(l.listenerFilter, 'listener', `${lp}.listenerFilter`, issues);
  if (LISTENER_CLASS.has(applyTo) && l.filterChain?.filter) checkFilterMatch(applyTo, l.filterChain.filter, `${lp}.filterChain.filter`, issues);
}

/** patch.value: present for every operation but REMOVE, and a JSON object. Returns the object when there is one. */
function checkPatchValue(patchObj: Obj, pp: string, issues: Issues): Obj | undefined {
  const op: Operation | undefined = patchObj.operation;
  const value: unknown = patchObj.value;
  if (value === undefined) {
    if (op !== undefined && op !== 'INVALID' && op !== 'REMOVE') issues.error(`${pp}.value`, `is required for operation ${op} (only REMOVE takes no value)`);
    return undefined;
  }
  if (!isPlainObject(value)) {
    issues.error(`${pp}.value`, 'must be an object: the JSON of the Envoy configuration the patch applies');
    return undefined;
  }
  return value;
}

/**
 * Decodes patch.value as the Envoy message applyTo names, against Envoy's protos, as Istio's webhook unmarshals it:
 * wrong types, two members of a oneof and `@type` URLs no shipped proto defines are errors; fields the message lacks
 * are warnings (they are dropped), as are filters without typed_config.
 */
function checkEnvoyValue(applyTo: ApplyTo, value: Obj, path: string, issues: Issues): void {
  const type = (PATCH_VALUE_TYPES as Record<string, string>)[applyTo];
  if (!type) return;
  const read = fromEnvoyJson(type, value, path);
  for (const e of read.errors) issues.error(e.path, e.message);
  for (const w of read.warnings) issues.warn(w.path, w.message);
  if (read.errors.length > 0) return;
  const bare = filtersWithoutTypedConfig(type, read.value);
  if (bare.length > 0) issues.warn(path, `${bare.join(', ')}: no typed_config; Envoy is removing the lookup of extensions by name, so give each its typed_config`);
}

function checkConfigPatch(cp: Obj, p: string, issues: Issues): void {
  const m: Obj | undefined = cp.match;
  const mp = `${p}.match`;
  const waypointContext = m?.context === 'WAYPOINT';
  // The CRD's rule: a waypoint match and the WAYPOINT context go together.
  if (m && waypointContext !== (m.waypoint !== undefined)) {
    issues.error(mp, waypointContext ? 'context WAYPOINT needs a waypoint match' : 'a waypoint match is only allowed with context WAYPOINT');
  }
  if (waypointContext) {
    // Istio checks nothing more in a waypoint patch.
    issues.warn(`${mp}.context`, NO_WAYPOINTS);
    return;
  }

  const applyTo: ApplyTo | undefined = cp.applyTo;
  const known = applyTo !== undefined && applyTo !== 'INVALID' ? applyTo : undefined;
  if (!known) issues.error(`${p}.applyTo`, 'is required: which kind of Envoy object to patch (INVALID names none)');
  else if (NOT_APPLIED[known]) issues.warn(`${p}.applyTo`, NOT_APPLIED[known]);

  const patchObj: Obj | undefined = cp.patch;
  const pp = `${p}.patch`;
  if (!patchObj) issues.error(pp, 'is required');
  else {
    const op: Operation | undefined = patchObj.operation;
    if (op === undefined || op === 'INVALID') issues.error(`${pp}.operation`, 'is required: how to apply the patch (INVALID is no operation)');
    const value = checkPatchValue(patchObj, pp, issues);
    if (value && known) checkEnvoyValue(known, value, `${pp}.value`, issues);
    const effective = known && EFFECTIVE_OPERATIONS[known];
    if (effective && op && op !== 'INVALID' && !effective.includes(op)) {
      issues.warn(`${pp}.operation`, `${op} is not applied to ${known} (only ${effective.join(', ')} are): this patch changes nothing`);
    }
  }

  if (!m) return;
  if (typeof m.proxy?.proxyVersion === 'string') checkProxyVersion(m.proxy.proxyVersion, `${mp}.proxy.proxyVersion`, issues);
  if (!known) return;
  checkMatchFitsApplyTo(known, m, mp, issues);
  if (m.listener) checkListenerMatch(known, m.listener, `${mp}.listener`, issues);
}

export const validateEnvoyFilter: KindValidator = (spec: Obj, _ctx, issues: Issues) => {
  issues.warn('', UNSTABLE);
  warnEmptySelector(spec.workloadSelector, 'labels', 'spec.workloadSelector', issues);
  warnTargetRefs(spec, 'this EnvoyFilter', issues);
  each(spec.configPatches, (cp, i) => checkConfigPatch(cp, `spec.configPatches[${i}]`, issues));
};
