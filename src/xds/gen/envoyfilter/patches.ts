/**
 * The EnvoyFilter patches that apply to one proxy, in istiod's order, with their values read into the generators'
 * form. A filter applies to the proxies of its namespace, or of every namespace from a root namespace
 * (model/root-namespaces.ts); a workloadSelector narrows that to the workloads whose labels it matches, and
 * targetRefs to the gateways of the Gateway API Gateways they name, in the filter's namespace
 * (model/policy-attachment.ts). Order: priority, then root
 * namespaces first, then oldest, then name. A patch's `proxy` match needs every listed node metadata value and,
 * with proxyVersion, the node's ISTIO_VERSION to match the expression (plain Envoy sends none: no match, as in
 * Istio for a proxy without a version).
 */
import { RE2JS } from 're2js';
import type { Config, Snapshot } from '../../../model/types.js';
import type { Proxy } from '../../../model/proxy.js';
import { asArray, asObject, stringMap } from '../../../model/selectors.js';
import { policyAttaches } from '../../../model/policy-attachment.js';
import { rootNamespacesOf } from '../../../model/root-namespaces.js';
import { fromEnvoyJson } from '../../envoy-json.js';
import { proxyLabels } from '../context.js';
import type { Json } from '../common.js';

export type ApplyTo = 'LISTENER' | 'FILTER_CHAIN' | 'NETWORK_FILTER' | 'HTTP_FILTER' | 'ROUTE_CONFIGURATION' | 'VIRTUAL_HOST' | 'HTTP_ROUTE' | 'CLUSTER' | 'EXTENSION_CONFIG' | 'BOOTSTRAP' | 'LISTENER_FILTER';
export type Operation = 'MERGE' | 'MERGE_AND_REPLACE_LIST' | 'ADD' | 'REMOVE' | 'INSERT_BEFORE' | 'INSERT_AFTER' | 'INSERT_FIRST' | 'REPLACE';
export type PatchContext = 'ANY' | 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND' | 'GATEWAY';

/** The Envoy message a patch value of each applyTo is. */
export const PATCH_VALUE_TYPES: Readonly<Record<ApplyTo, string>> = {
  LISTENER: 'envoy.config.listener.v3.Listener',
  FILTER_CHAIN: 'envoy.config.listener.v3.FilterChain',
  NETWORK_FILTER: 'envoy.config.listener.v3.Filter',
  HTTP_FILTER: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
  ROUTE_CONFIGURATION: 'envoy.config.route.v3.RouteConfiguration',
  VIRTUAL_HOST: 'envoy.config.route.v3.VirtualHost',
  HTTP_ROUTE: 'envoy.config.route.v3.Route',
  CLUSTER: 'envoy.config.cluster.v3.Cluster',
  EXTENSION_CONFIG: 'envoy.config.core.v3.TypedExtensionConfig',
  BOOTSTRAP: 'envoy.config.bootstrap.v3.Bootstrap',
  LISTENER_FILTER: 'envoy.config.listener.v3.ListenerFilter',
};
const OPERATIONS = new Set<string>(['MERGE', 'MERGE_AND_REPLACE_LIST', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST', 'REPLACE']);
const CONTEXTS = new Set<string>(['ANY', 'SIDECAR_INBOUND', 'SIDECAR_OUTBOUND', 'GATEWAY']);
/** Where an insert has a place among siblings; elsewhere istiod reads INSERT_* as ADD. */
const ORDERED = new Set<ApplyTo>(['HTTP_FILTER', 'NETWORK_FILTER', 'HTTP_ROUTE', 'LISTENER_FILTER']);

export interface Patch {
  /** `namespace/name` of the EnvoyFilter. */
  key: string;
  /** Its place in the filter's configPatches. */
  index: number;
  applyTo: ApplyTo;
  operation: Operation;
  context: PatchContext;
  /** The configPatch's match (listener, routeConfiguration or cluster part; proxy checked in proxyPatches). */
  match: Json;
  /** The value in the generators' form; undefined for REMOVE. */
  value: Json | undefined;
}

/** A configPatch as compiled: the patch, or why it can apply to nothing. */
type Compiled = { patch: Patch & { proxy: Json | undefined } } | { index: number; skipped: string };

const compiled = new WeakMap<Config, readonly Compiled[]>();

/** An EnvoyFilter's configPatches, compiled once per object (never thrown: what would not validate is skipped). */
function compile(ef: Config): readonly Compiled[] {
  const known = compiled.get(ef);
  if (known) return known;
  const out = asArray(ef.spec?.configPatches).map((raw, index) => compileOne(ef, asObject(raw), index));
  compiled.set(ef, out);
  return out;
}

function compileOne(ef: Config, cp: Json, index: number): Compiled {
  const applyTo = cp.applyTo as ApplyTo;
  const patch = asObject(cp.patch);
  if (applyTo === 'BOOTSTRAP' || applyTo === 'EXTENSION_CONFIG') return { index, skipped: `${applyTo}: mizzen writes the bootstrap at injection and serves no extension configs` };
  if (!(applyTo in PATCH_VALUE_TYPES)) return { index, skipped: `applyTo ${JSON.stringify(cp.applyTo)} is not one mizzen applies` };
  if (!OPERATIONS.has(patch.operation)) return { index, skipped: `operation ${JSON.stringify(patch.operation)} is not one mizzen applies` };
  const match = asObject(cp.match);
  const context = (match.context ?? 'ANY') as PatchContext;
  if (!CONTEXTS.has(context)) return { index, skipped: `context ${JSON.stringify(context)}: mizzen runs no such proxies` };
  let value: Json | undefined;
  if (patch.value !== undefined && patch.value !== null) {
    const read = fromEnvoyJson(PATCH_VALUE_TYPES[applyTo], patch.value, 'value');
    if (read.errors.length > 0) return { index, skipped: `the value does not decode: ${read.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}` };
    value = read.value;
  } else if (patch.operation !== 'REMOVE') return { index, skipped: `${patch.operation} needs a value` };
  const insert = String(patch.operation).startsWith('INSERT_');
  const operation = (insert && !ORDERED.has(applyTo) ? 'ADD' : patch.operation) as Operation;
  return { patch: { key: `${ef.namespace}/${ef.name}`, index, applyTo, operation, context, match, value, proxy: match.proxy === undefined ? undefined : asObject(match.proxy) } };
}

/** An EnvoyFilter's usable patches. */
const patchesOf = (ef: Config): Array<Patch & { proxy: Json | undefined }> => compile(ef).flatMap((c) => ('patch' in c ? [c.patch] : []));

const priorityOf = (ef: Config): number => (Number.isInteger(ef.spec?.priority) ? (ef.spec!.priority as number) : 0);

function compareFilters(a: Config, b: Config, roots: readonly string[]): number {
  const pa = priorityOf(a);
  const pb = priorityOf(b);
  if (pa !== pb) return pa - pb;
  const ra = roots.includes(a.namespace);
  if (ra !== roots.includes(b.namespace)) return ra ? -1 : 1;
  const ta = a.creationTimestamp ?? '';
  const tb = b.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = `${a.name}.${a.namespace}`;
  const nb = `${b.name}.${b.namespace}`;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** The EnvoyFilters that select this proxy, in the order their patches apply. */
export function selectedFilters(snap: Snapshot, proxy: Proxy): Config[] {
  if (snap.envoyFilters.length === 0) return [];
  const labels = proxyLabels(snap, proxy);
  const roots = rootNamespacesOf(snap.mesh);
  return snap.envoyFilters
    .filter((ef) => (roots.includes(ef.namespace) || ef.namespace === proxy.namespace) && selects(ef, proxy.namespace, labels))
    .sort((a, b) => compareFilters(a, b, roots));
}

function selects(ef: Config, namespace: string, labels: Readonly<Record<string, string>>): boolean {
  return policyAttaches(ef.spec, stringMap(asObject(ef.spec?.workloadSelector).labels), ef.namespace, namespace, labels);
}

const versionRegexps = new Map<string, RE2JS | null>();
function versionMatches(expr: string, version: unknown): boolean {
  if (typeof version !== 'string' || version === '') return false;
  let re = versionRegexps.get(expr);
  if (re === undefined) {
    try {
      re = expr.length > 1024 ? null : RE2JS.compile(expr);
    } catch {
      re = null;
    }
    versionRegexps.set(expr, re);
  }
  return re !== null && re.matcher(version).find();
}

/** Whether a patch's `proxy` match holds for this node (its metadata and ISTIO_VERSION). */
function proxyMatches(match: Json | undefined, proxy: Proxy): boolean {
  if (!match) return true;
  if (typeof match.proxyVersion === 'string' && match.proxyVersion !== '' && !versionMatches(match.proxyVersion, proxy.metadata.ISTIO_VERSION)) return false;
  return Object.entries(asObject(match.metadata)).every(([k, v]) => proxy.metadata[k] === v);
}

/** Every patch that applies to this proxy, in order. */
export function proxyPatches(snap: Snapshot, proxy: Proxy): Patch[] {
  return proxyPatchEntries(snap, proxy).flatMap((e) => (e.patch ? [e.patch] : []));
}

/**
 * What of a proxy beyond its scope (type, namespace, labels) decides its patches: the patches whose `proxy` match
 * it passes. Empty when no filter has such a match, so scopes stay as they were.
 */
export function proxyMatchKey(snap: Snapshot, proxy: Proxy): string {
  if (snap.envoyFilters.length === 0) return '';
  const keys: string[] = [];
  for (const ef of snap.envoyFilters) {
    for (const p of patchesOf(ef)) if (p.proxy && proxyMatches(p.proxy, proxy)) keys.push(`${p.key}#${p.index}`);
  }
  return keys.join(',');
}

/** One configPatch of a filter that selects a proxy: the patch when it applies to this proxy, else why not. */
export interface PatchEntry {
  filter: string;
  index: number;
  patch?: Patch;
  skipped?: string;
}

/** Every configPatch of the filters that select this proxy, in order, usable or not (for the debug view). */
export function proxyPatchEntries(snap: Snapshot, proxy: Proxy): PatchEntry[] {
  const out: PatchEntry[] = [];
  for (const ef of selectedFilters(snap, proxy)) {
    for (const c of compile(ef)) {
      const filter = `${ef.namespace}/${ef.name}`;
      if (!('patch' in c)) out.push({ filter, index: c.index, skipped: c.skipped });
      else if (!proxyMatches(c.patch.proxy, proxy)) out.push({ filter, index: c.patch.index, skipped: `the proxy match does not hold for this node (ISTIO_VERSION ${JSON.stringify(proxy.metadata.ISTIO_VERSION ?? null)})` });
      else out.push({ filter, index: c.patch.index, patch: c.patch });
    }
  }
  return out;
}
