/**
 * EnvoyFilter patch operations, Istio's EnvoyPatchAnalyzer checks, told as the generators apply the patches
 * (xds/gen/envoyfilter, which apply them as istiod does).
 *
 * - An operation that is not applied to its applyTo, so the patch changes nothing (Error, as in Istio): REPLACE
 *   other than on network, HTTP and listener filters and virtual hosts (IST0152), ADD (IST0153) and REMOVE
 *   (IST0154) on ROUTE_CONFIGURATION. Istio also reports ADD and REMOVE on HTTP_ROUTE and REPLACE on
 *   LISTENER_FILTER, which istiod and mizzen apply: not here.
 * - A relative operation (INSERT_BEFORE, INSERT_AFTER, REPLACE, REMOVE) in an EnvoyFilter of priority 0 (IST0151,
 *   Warning): what it acts on may be added, renamed or removed by another EnvoyFilter, and the order between
 *   EnvoyFilters of one priority is namespace and age (xds/gen/envoyfilter/patches.ts), which recreating one
 *   changes. INSERT_BEFORE and INSERT_AFTER count only where they insert among siblings (filters, routes): elsewhere
 *   they are read as ADD, as istiod reads them, and Istio's warning about them would be wrong.
 * - The same, when the element it names ("name" of the value, else the match's filter) is also patched by another
 *   patch limited to a proxyVersion (IST0155 instead of IST0151): such patches come and go with upgrades. Istio
 *   counts only patches it met earlier in its walk, which depends on the order it visits filters; here any other
 *   patch counts, in this EnvoyFilter or another, and an empty name matches nothing.
 */
import { finding, type Finding } from '../finding.js';
import { arr, isRec, rec, str, type Rec } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';
import type { KubeObject } from '../../core/kube.js';

/** What each applyTo patches, for messages. */
const NOUNS: Readonly<Record<string, string>> = {
  LISTENER: 'listener',
  FILTER_CHAIN: 'filter chain',
  LISTENER_FILTER: 'listener filter',
  NETWORK_FILTER: 'network filter',
  HTTP_FILTER: 'HTTP filter',
  ROUTE_CONFIGURATION: 'route configuration',
  VIRTUAL_HOST: 'virtual host',
  HTTP_ROUTE: 'route',
  CLUSTER: 'cluster',
  EXTENSION_CONFIG: 'extension config',
  BOOTSTRAP: 'bootstrap',
};

/** Where REPLACE is applied. */
const REPLACEABLE = new Set(['NETWORK_FILTER', 'HTTP_FILTER', 'LISTENER_FILTER', 'VIRTUAL_HOST']);
/** Where INSERT_BEFORE / INSERT_AFTER place the value among siblings; elsewhere they are ADD. */
const ORDERED = new Set(['NETWORK_FILTER', 'HTTP_FILTER', 'LISTENER_FILTER', 'HTTP_ROUTE']);

/** What to do instead of a REPLACE that is not applied, by applyTo. */
const INSTEAD_OF_REPLACE: Readonly<Record<string, string>> = {
  LISTENER: 'MERGE into it, or REMOVE it and ADD yours',
  FILTER_CHAIN: 'MERGE into it, or REMOVE it and ADD yours',
  CLUSTER: 'MERGE into it, or REMOVE it and ADD yours',
  ROUTE_CONFIGURATION: 'MERGE into it (MERGE_AND_REPLACE_LIST to replace its lists)',
  HTTP_ROUTE: 'MERGE into it (MERGE_AND_REPLACE_LIST to replace its lists)',
};

interface PatchInfo {
  filter: KubeObject;
  index: number;
  applyTo: string;
  operation: string;
  /** The element the patch is about: the value's name, else the filter its listener match names. */
  element: string | undefined;
  proxyVersion: string | undefined;
}

function elementOf(cp: Rec): string | undefined {
  const value = rec(rec(cp.patch).value);
  if (Object.keys(value).length === 0) return undefined;
  if ('name' in value) return str(value.name) || undefined;
  return str(rec(rec(rec(rec(cp.match).listener).filterChain).filter).name) || undefined;
}

/** The patches of an EnvoyFilter that have a `patch` (the validators refuse the others; Istio stops at the first). */
function patchesOf(filter: KubeObject): PatchInfo[] {
  const out: PatchInfo[] = [];
  for (const [index, raw] of arr(rec(filter.spec).configPatches).entries()) {
    const cp = rec(raw);
    if (!isRec(cp.patch)) continue;
    out.push({
      filter,
      index,
      applyTo: str(cp.applyTo) ?? '',
      operation: str(cp.patch.operation) ?? '',
      element: elementOf(cp),
      proxyVersion: str(rec(rec(cp.match).proxy).proxyVersion) || undefined,
    });
  }
  return out;
}

const priorityOf = (filter: KubeObject): number => {
  const p = rec(filter.spec).priority;
  return typeof p === 'number' && Number.isInteger(p) ? p : 0;
};

/** The finding for an operation not applied to its applyTo, if it is one. */
function notApplied(p: PatchInfo): Finding | undefined {
  const path = `spec.configPatches[${p.index}].patch.operation`;
  const noun = NOUNS[p.applyTo];
  if (!noun) return undefined;
  if (p.operation === 'REPLACE' && !REPLACEABLE.has(p.applyTo)) {
    const instead = INSTEAD_OF_REPLACE[p.applyTo];
    return finding(
      'IST0152',
      p.filter,
      `REPLACE is applied only to NETWORK_FILTER, HTTP_FILTER, LISTENER_FILTER and VIRTUAL_HOST patches: this ${p.applyTo} patch changes nothing${instead ? ` (to change the ${noun}, ${instead})` : ''}`,
      path,
    );
  }
  if (p.applyTo !== 'ROUTE_CONFIGURATION') return undefined;
  if (p.operation === 'ADD') {
    return finding('IST0153', p.filter, 'ADD is not applied to ROUTE_CONFIGURATION patches: this patch changes nothing (route configurations come with the listeners; MERGE into one, or ADD a VIRTUAL_HOST or HTTP_ROUTE to it)', path);
  }
  if (p.operation === 'REMOVE') {
    return finding('IST0154', p.filter, 'REMOVE is not applied to ROUTE_CONFIGURATION patches: this patch changes nothing (REMOVE the VIRTUAL_HOSTs or HTTP_ROUTEs it holds instead)', path);
  }
  return undefined;
}

const isRelative = (p: PatchInfo): boolean =>
  NOUNS[p.applyTo] !== undefined && (((p.operation === 'INSERT_BEFORE' || p.operation === 'INSERT_AFTER') && ORDERED.has(p.applyTo)) || p.operation === 'REPLACE' || p.operation === 'REMOVE');

function relative(p: PatchInfo, versioned: PatchInfo | undefined): Finding {
  const noun = NOUNS[p.applyTo]!;
  const insert = p.operation.startsWith('INSERT_');
  const acts = insert ? `${p.operation} places this ${noun} next to the one its match names` : `${p.operation} acts on the ${noun} its match names`;
  const todo = `Set spec.priority to order it against them${insert ? ', or use INSERT_FIRST or ADD if the position does not matter' : ''}`;
  const path = `spec.configPatches[${p.index}].patch.operation`;
  if (!versioned) {
    return finding(
      'IST0151',
      p.filter,
      `${acts}, which another EnvoyFilter may add, rename or remove. With priority 0 this EnvoyFilter is ordered against the others of priority 0 by namespace (root namespaces first) and age, so recreating one of them can reorder them and leave this patch changing nothing. ${todo}`,
      path,
    );
  }
  const where = versioned.filter === p.filter ? 'this EnvoyFilter' : `EnvoyFilter ${nsOf(versioned.filter)}/${nameOf(versioned.filter)}`;
  return finding(
    'IST0155',
    p.filter,
    `${acts}, and "${p.element}" is also patched by ${where} (spec.configPatches[${versioned.index}]) for proxies whose version matches ${versioned.proxyVersion} only. Patches for one proxy version come and go with upgrades, and with priority 0 this EnvoyFilter is ordered against them by namespace and age: during an upgrade the order can change, and this patch may then change nothing on some proxies. ${todo}`,
    path,
  );
}

export function envoyFilterPatches(w: World): Finding[] {
  const subjects = w.subjects('EnvoyFilter');
  if (subjects.length === 0) return [];
  const out: Finding[] = [];
  for (const ef of subjects) {
    const own = patchesOf(ef);
    // Patches limited to a proxy version: this filter's own, and other filters' (not the stored version of this one).
    const others = w.istio('EnvoyFilter').filter((o) => o !== ef && !(nsOf(o) === nsOf(ef) && nameOf(o) === nameOf(ef)));
    const versioned = [...own, ...others.flatMap(patchesOf)].filter((p) => p.proxyVersion !== undefined && p.element !== undefined);
    for (const p of own) {
      const wrong = notApplied(p);
      if (wrong) {
        out.push(wrong);
        continue;
      }
      if (!isRelative(p) || priorityOf(ef) !== 0) continue;
      out.push(relative(p, p.element === undefined ? undefined : versioned.find((v) => v !== p && v.element === p.element)));
    }
  }
  return out;
}
