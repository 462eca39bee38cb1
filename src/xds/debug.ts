/**
 * Debug views of the xDS server as plain functions of the query string; the monitoring server mounts them at
 * /debug/<name> and sends the value as JSON. syncz: every stream's per-type sync state; configz: the store and
 * the config errors; registryz: services and endpoints of the snapshot; config_dump?proxy=ID: what a proxy gets;
 * envoyfilterz?proxy=ID: each patch of the EnvoyFilters that select the proxy, and whether it changes anything.
 */
import type { ConfigStore } from '../model/store.js';
import type { Proxy } from '../model/proxy.js';
import { TypeUrls } from '../core/constants.js';
import type { SnapshotCache } from './server/cache.js';
import type { Connection, WatchState } from './server/connection.js';
import { shortType } from './server/metrics.js';
import { envoyFilterStatus } from './gen/index.js';

export type DebugQuery = Record<string, string | string[] | undefined>;
export type DebugHandlers = Record<string, (query: DebugQuery) => unknown>;

export interface DebugState {
  store: ConfigStore;
  connections(): Connection[];
  cache(): SnapshotCache;
  scopeOf(cache: SnapshotCache, proxy: Proxy): string;
  configErrors?: () => unknown[];
}

/** istioctl proxy-status words. */
export type SyncStatus = 'SYNCED' | 'STALE' | 'NOT SENT' | 'NACKED';

export function syncStatus(w: WatchState | undefined): SyncStatus {
  if (!w || w.responses === 0) return 'NOT SENT';
  if (w.nack && w.nack.nonce === w.nonce) return 'NACKED';
  if (w.pending || w.ackedVersion !== w.sentVersion) return 'STALE';
  return 'SYNCED';
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** `clusters`, `cds`, or a type URL → the type URL. */
const TYPE_ALIASES: Record<string, string> = {
  clusters: TypeUrls.cluster,
  cluster: TypeUrls.cluster,
  cds: TypeUrls.cluster,
  listeners: TypeUrls.listener,
  listener: TypeUrls.listener,
  lds: TypeUrls.listener,
  routes: TypeUrls.route,
  route: TypeUrls.route,
  rds: TypeUrls.route,
  endpoints: TypeUrls.endpoint,
  endpoint: TypeUrls.endpoint,
  eds: TypeUrls.endpoint,
  secrets: TypeUrls.secret,
  secret: TypeUrls.secret,
  sds: TypeUrls.secret,
};

export function typeUrlOf(name: string): string | undefined {
  if (name.startsWith('type.googleapis.com/')) return name;
  return TYPE_ALIASES[name.toLowerCase()];
}

/** A proxy by full node id, `pod.namespace`, or pod name when that is unique. */
export function findConnection(conns: readonly Connection[], key: string): Connection | Connection[] | undefined {
  const live = conns.filter((c) => c.proxy);
  const exact = live.filter((c) => c.proxy!.id === key);
  const podNs = live.filter((c) => `${c.proxy!.podName}.${c.proxy!.namespace}` === key);
  const pod = live.filter((c) => c.proxy!.podName === key);
  for (const list of [exact, podNs, pod]) {
    if (list.length === 0) continue;
    // A proxy that reconnected has two streams for a moment: the newest one is the truth.
    const ids = new Set(list.map((c) => c.proxy!.id));
    if (ids.size > 1) return list;
    return list.reduce((a, b) => (b.seq > a.seq ? b : a));
  }
  return undefined;
}

function watchView(w: WatchState) {
  return {
    typeUrl: w.typeUrl,
    status: syncStatus(w),
    sentVersion: w.sentVersion,
    ackedVersion: w.ackedVersion,
    nonce: w.nonce,
    ackedNonce: w.ackedNonce,
    sentAt: w.sentAt === undefined ? undefined : new Date(w.sentAt).toISOString(),
    responses: w.responses,
    resources: w.sent.resources.size,
    subscribed: w.wildcard ? ['*', ...w.names] : w.names,
    ...(w.nack ? { lastNack: w.nack } : {}),
  };
}

export function createDebugHandlers(state: DebugState): DebugHandlers {
  const syncz = () =>
    state
      .connections()
      .filter((c) => c.proxy)
      .sort((a, b) => a.proxy!.id.localeCompare(b.proxy!.id) || a.seq - b.seq)
      .map((c) => {
        const types: Record<string, ReturnType<typeof watchView>> = {};
        for (const w of c.watches.values()) types[shortType(w.typeUrl) === 'other' ? w.typeUrl : shortType(w.typeUrl)] = watchView(w);
        return {
          id: c.proxy!.id,
          connection: c.id,
          type: c.proxy!.type,
          generator: c.proxy!.generator,
          namespace: c.proxy!.namespace,
          stream: c.kind,
          peer: c.peer,
          connectedAt: c.connectedAt.toISOString(),
          types,
        };
      });

  const configz = () => ({
    version: state.store.version,
    sources: state.store.bySource(),
    objects: state.store.list(),
    errors: state.configErrors?.() ?? [],
  });

  const registryz = () => {
    const snap = state.cache().snapshot;
    return {
      version: snap.version,
      services: [...snap.services.values()].map((s) => ({ ...s, endpoints: snap.endpoints.get(s.hostname) ?? [] })),
      workloads: snap.workloads,
    };
  };

  /** The connection of the proxy the query names, or the error to answer with. */
  const connectionFor = (q: DebugQuery): Connection | { error: string; proxies: string[] } => {
    const key = first(q.proxy);
    const conns = state.connections();
    if (!key) return { error: 'query parameter "proxy" is required (node id, pod.namespace or pod name)', proxies: conns.filter((c) => c.proxy).map((c) => c.proxy!.id) };
    const found = findConnection(conns, key);
    if (!found) return { error: `no connected proxy "${key}"`, proxies: conns.filter((c) => c.proxy).map((c) => c.proxy!.id) };
    if (Array.isArray(found)) return { error: `"${key}" is ambiguous`, proxies: found.map((c) => c.proxy!.id) };
    return found;
  };

  const envoyfilterz = (q: DebugQuery) => {
    const found = connectionFor(q);
    if ('error' in found) return found;
    const snap = state.cache().snapshot;
    return { proxy: found.proxy!.id, snapshot: snap.version, patches: envoyFilterStatus(snap, found.proxy!) };
  };

  const configDump = (q: DebugQuery) => {
    const found = connectionFor(q);
    if ('error' in found) return found;
    const typeArg = first(q.type);
    const only = typeArg ? typeUrlOf(typeArg) : undefined;
    if (typeArg && !only) return { error: `unknown type "${typeArg}": use clusters, listeners, routes, endpoints or secrets` };
    const cache = state.cache();
    const proxy = found.proxy!;
    const scope = found.scope(cache, state.scopeOf);
    const configs = [TypeUrls.cluster, TypeUrls.endpoint, TypeUrls.listener, TypeUrls.route, TypeUrls.secret]
      .filter((t) => (only ? t === only : t !== TypeUrls.secret || found.watches.has(t)))
      .map((typeUrl) => {
        const w = found.watches.get(typeUrl);
        // What the proxy was sent; for a type it never asked for, what it would get (wildcard).
        const set = w ? w.sent : cache.resolve(scope, proxy, typeUrl, true, []);
        return {
          typeUrl,
          version: w ? w.sentVersion : set.version,
          subscribed: w !== undefined,
          resources: [...set.resources.values()].map((r) => ({ name: r.name, version: r.hash, resource: r.resource })),
        };
      });
    return { proxy: proxy.id, scope, snapshot: cache.snapshot.version, configs };
  };

  return { syncz, configz, registryz, config_dump: configDump, envoyfilterz };
}
