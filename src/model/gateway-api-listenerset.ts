/**
 * Gateway API ListenerSets (gateway.networking.k8s.io/v1): listeners that an object of any namespace adds to a
 * Gateway of class istio, served as istiod serves them. Pure.
 *
 * - A ListenerSet attaches to the Gateway its parentRef names (kind Gateway; the ListenerSet's namespace unless it
 *   names one) when that Gateway's spec.allowedListeners.namespaces admits the ListenerSet's namespace (from: None,
 *   the default, Same, All, Selector). There is no experimental XListenerSet: istiod reads the v1 kind alone.
 * - Its listeners are the Gateway's listeners' kin: each served one becomes an Istio Gateway of the ListenerSet's
 *   namespace selecting the parent Gateway's workloads, so the parent's proxies serve it. A listener's port
 *   defaults to 80 (HTTP) or 443 (HTTPS); certificates of another namespace need a ReferenceGrant from ListenerSets.
 * - Conflicts, as istiod merges listeners: the Gateway's own listeners first, then the ListenerSets the Gateway
 *   allows, oldest first (then namespace/name); a listener conflicts with the first one kept before it on its port:
 *   an HTTP, HTTPS or TLS listener of the same hostname (HostnameConflict), or a listener of a protocol that cannot
 *   share the port (TCP beside anything, ProtocolConflict). A conflicted listener is not served. (A listener without
 *   a port takes no part: it is not served either way.)
 * - Routes attach to a ListenerSet by a parentRef of kind ListenerSet (sectionName: a listener's name, port), as
 *   they attach to a Gateway's listeners; a parentRef to the Gateway does not reach the ListenerSets' listeners.
 */
import type { Config } from './types.js';
import { compareConfigs } from './config-order.js';
import { asArray, asObject, asPort, asString } from './selectors.js';
import { GATEWAY_API_GROUP, type ParentRef } from './gateway-refs.js';
import {
  GATEWAY_CLASS, type GatewayWorld, type Listener, type RouteCache, admitsNamespace, gatewaySelector, listenerIstioGateway, listenerVirtualServices, routeCache, servedListeners,
} from './gateway-api-gateways.js';

type Json = Record<string, any>;

export const LISTENER_SET_KIND = 'ListenerSet';

/** Why a listener loses to one kept before it, in the Gateway API's words. */
export type ConflictReason = 'HostnameConflict' | 'ProtocolConflict';

/** One listener of a ListenerSet, and what became of it. */
export interface ListenerSetEntry {
  name: string;
  /** The listener as written, with its port defaulted. */
  raw: Json;
  /** The listener mizzen serves, when it does. */
  served?: Listener;
  /** It loses to `with` (a listener of the Gateway or of an older ListenerSet, in words). */
  conflict?: { reason: ConflictReason; with: string };
  /** It cannot be served whatever it names (no port on a protocol without a default; HTTPS or TLS without tls). */
  unsupported?: string;
}

/** A ListenerSet whose parent is a Gateway of class istio, and what mizzen makes of it. */
export interface ListenerSetOutcome {
  ls: Config;
  parent: Config;
  /** The parent's allowedListeners admit the ListenerSet's namespace. */
  allowed: boolean;
  /** Its listeners that have a name, in order (none when not allowed). */
  entries: ListenerSetEntry[];
  /** The listeners mizzen serves. */
  served: Listener[];
}

/** The Gateway a ListenerSet's parentRef names (`ns/name`); undefined when it names another kind. */
export function listenerSetParentKey(ls: Pick<Config, 'namespace' | 'spec'>): string | undefined {
  const p = asObject(asObject(ls.spec).parentRef);
  const name = asString(p.name);
  if (!name || (asString(p.group) ?? GATEWAY_API_GROUP) !== GATEWAY_API_GROUP || (asString(p.kind) ?? 'Gateway') !== 'Gateway') return undefined;
  return `${asString(p.namespace) || ls.namespace}/${name}`;
}

/** Whether a route's parentRef names this ListenerSet. */
export const namesListenerSet = (p: ParentRef, ls: Pick<Config, 'name' | 'namespace'>): boolean => p.group === GATEWAY_API_GROUP && p.kind === LISTENER_SET_KIND && p.name === ls.name && p.namespace === ls.namespace;

/** A ListenerSet listener's port: its own, else (none, or 0) its protocol's default (HTTP 80, HTTPS 443); undefined without. */
export function entryPort(l: Json): number | undefined {
  if (l.port !== undefined && l.port !== 0) return asPort(l.port);
  return l.protocol === 'HTTP' ? 80 : l.protocol === 'HTTPS' ? 443 : undefined;
}

const isL4 = (p: unknown): boolean => p === 'TCP' || p === 'UDP';
const isHttpLike = (p: unknown): boolean => p === 'HTTP' || p === 'HTTPS' || p === 'TLS';
const hostnameOf = (l: Json): string => asString(l.hostname) || '*';

/** Why listener `a` cannot sit beside `b`, kept before it; undefined when they are distinct. */
function conflictOf(a: Json, b: Json): ConflictReason | undefined {
  if (a.port !== b.port) return undefined;
  const [l4a, l4b, httpA, httpB] = [isL4(a.protocol), isL4(b.protocol), isHttpLike(a.protocol), isHttpLike(b.protocol)];
  // TCP and UDP share a port with nothing of these.
  if ((l4a && (l4b || httpB)) || (httpA && l4b)) return 'ProtocolConflict';
  if (httpA && httpB) return hostnameOf(a) !== hostnameOf(b) ? undefined : a.protocol === b.protocol ? 'HostnameConflict' : 'ProtocolConflict';
  return a.protocol === b.protocol ? 'HostnameConflict' : undefined;
}

/**
 * The conflicts among the listeners of `gw` and the ListenerSets it allows (`sets`): for each ListenerSet
 * (`ns/name`), its losing listeners by name. A listener that loses frees its place: later ones are checked only
 * against the listeners kept.
 */
export function listenerConflicts(gw: Config, sets: readonly Config[]): Map<string, Map<string, { reason: ConflictReason; with: string }>> {
  const kept: Array<{ l: Json; who: string }> = [];
  const out = new Map<string, Map<string, { reason: ConflictReason; with: string }>>();
  const merge = (l: Json, who: string, key: string | undefined): void => {
    for (const k of kept) {
      const reason = conflictOf(l, k.l);
      if (!reason) continue;
      if (key !== undefined && typeof l.name === 'string') {
        const m = out.get(key) ?? new Map();
        m.set(l.name, { reason, with: k.who });
        out.set(key, m);
      }
      return;
    }
    kept.push({ l, who });
  };
  for (const raw of asArray(asObject(gw.spec).listeners)) {
    const l = asObject(raw);
    const port = asPort(l.port);
    if (port !== undefined) merge({ ...l, port }, `listener "${String(l.name)}" of Gateway ${gw.namespace}/${gw.name}`, undefined);
  }
  for (const ls of [...sets].sort(compareConfigs)) {
    for (const raw of asArray(asObject(ls.spec).listeners)) {
      const l = asObject(raw);
      const port = entryPort(l);
      // A listener without a port is served nowhere, and takes no place.
      if (port !== undefined) merge({ ...l, port }, `listener "${String(l.name)}" of ListenerSet ${ls.namespace}/${ls.name}`, `${ls.namespace}/${ls.name}`);
    }
  }
  return out;
}

/**
 * What becomes of each ListenerSet whose parent is one of `gateways` of class istio (others are not mizzen's to
 * serve, nor to answer for): whether the parent allows it, and its listeners, served or not and why.
 */
export function listenerSetOutcomes(gateways: readonly Config[], listenerSets: readonly Config[], w: Pick<GatewayWorld, 'grants' | 'namespaces'>): ListenerSetOutcome[] {
  const parents = new Map<string, Config>(gateways.filter((g) => asObject(g.spec).gatewayClassName === GATEWAY_CLASS).map((g) => [`${g.namespace}/${g.name}`, g] as const));
  const found: Array<{ ls: Config; parent: Config; allowed: boolean }> = [];
  for (const ls of listenerSets) {
    const key = listenerSetParentKey(ls);
    const parent = key === undefined ? undefined : parents.get(key);
    if (!parent) continue;
    const allowed = admitsNamespace(asObject(asObject(asObject(parent.spec).allowedListeners).namespaces), 'None', parent.namespace, ls.namespace, (ns) => w.namespaces.get(ns));
    found.push({ ls, parent, allowed });
  }
  const conflicts = new Map<Config, ReturnType<typeof listenerConflicts>>();
  for (const parent of new Set(found.map((f) => f.parent))) {
    conflicts.set(parent, listenerConflicts(parent, found.filter((f) => f.parent === parent && f.allowed).map((f) => f.ls)));
  }
  return found.map(({ ls, parent, allowed }) => {
    if (!allowed) return { ls, parent, allowed, entries: [], served: [] };
    const lost = conflicts.get(parent)?.get(`${ls.namespace}/${ls.name}`);
    const entries: ListenerSetEntry[] = [];
    for (const raw of asArray(asObject(ls.spec).listeners)) {
      const l = asObject(raw);
      const name = asString(l.name);
      if (!name || entries.some((e) => e.name === name)) continue;
      const port = entryPort(l);
      const entry: ListenerSetEntry = { name, raw: port === undefined ? l : { ...l, port } };
      const conflict = lost?.get(name);
      if (conflict) entry.conflict = conflict;
      else if (port === undefined && l.port !== undefined && l.port !== 0) entry.unsupported = `port ${JSON.stringify(l.port)} is not a port number`;
      else if (port === undefined) entry.unsupported = `protocol ${String(l.protocol)} needs a port (only HTTP and HTTPS listeners default theirs)`;
      else if ((l.protocol === 'HTTPS' || l.protocol === 'TLS') && l.tls === undefined) entry.unsupported = `protocol ${l.protocol} needs a tls section`;
      entries.push(entry);
    }
    const candidates = entries.filter((e) => !e.conflict && !e.unsupported);
    const served = servedListeners({ kind: LISTENER_SET_KIND, name: ls.name, namespace: ls.namespace, spec: { listeners: candidates.map((e) => e.raw) } }, w.grants);
    for (const e of entries) {
      const s = served.find((l) => l.name === e.name);
      if (s) e.served = s;
    }
    return { ls, parent, allowed, entries, served };
  });
}

/**
 * The Istio Gateways and VirtualServices of the ListenerSets' served listeners and the routes attached to them
 * (`routes` in compareConfigs order; `cache`: the routes' rules, shared with the Gateways' conversion).
 */
export function listenerSetConfigs(outcomes: readonly ListenerSetOutcome[], routes: readonly Config[], w: GatewayWorld, cache: RouteCache = routeCache()): { gateways: Config[]; virtualServices: Config[] } {
  const gateways: Config[] = [];
  const virtualServices: Config[] = [];
  for (const { ls, parent, served } of outcomes) {
    if (served.length === 0) continue;
    const { selector } = gatewaySelector(parent, w);
    const owner = { ...ls, kind: LISTENER_SET_KIND };
    for (const l of served) gateways.push(listenerIstioGateway(owner, l, selector));
    virtualServices.push(...listenerVirtualServices(owner, served, routes, (p) => namesListenerSet(p, ls), w, cache, (l, host) => `${ls.name}.${l.name}.${host}.listenerset.gateway-api`));
  }
  return { gateways, virtualServices };
}
