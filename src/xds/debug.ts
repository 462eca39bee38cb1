/**
 * Debug views of the xDS server as plain functions of the query string; the monitoring server mounts them at
 * /debug/<name> and sends the value as JSON. syncz: every stream's per-type sync state (and what of its node was
 * ignored); configz: the store and
 * the config errors; registryz: services and endpoints of the snapshot; config_dump?proxy=ID: what a proxy gets;
 * envoyfilterz?proxy=ID: each patch of the EnvoyFilters that select the proxy, and whether it changes anything;
 * namespacez: the mesh's discoverySelectors and every namespace the store knows, discovered or not (and why not).
 *
 * No key material leaves through them: configz shows a Secret's values as `<redacted: N bytes>`, and every view
 * of objects or generated resources shows an inline private key (or other secret DataSource) as Envoy's own
 * config dump does, `{ inline_string: '[redacted]' }`. Certificates and file names stay visible. The store and
 * the cache are never modified: redaction copies what it changes.
 */
import type { KubeObject } from '../core/kube.js';
import type { ConfigStore } from '../model/store.js';
import type { Proxy } from '../model/proxy.js';
import { TypeUrls } from '../core/constants.js';
import { spiffeId } from '../core/spiffe.js';
import type { SnapshotCache } from './server/cache.js';
import type { Connection, WatchState } from './server/connection.js';
import { shortType } from './server/metrics.js';
import { envoyFilterStatus } from './gen/index.js';
import { namespaceViews } from '../model/discovery.js';

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

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** Fields whose inline DataSource is secret: TLS private keys and their password, PKCS#12 bundles, generic secrets, session ticket keys. */
const SECRET_FIELDS = new Set(['private_key', 'privateKey', 'password', 'pkcs12', 'secret', 'keys']);
const INLINE_FIELDS = ['inline_bytes', 'inline_string', 'inlineBytes', 'inlineString'];
/** What Envoy's admin config_dump shows for an inline private key. */
export const REDACTED_DATA_SOURCE = Object.freeze({ inline_string: '[redacted]' });

const isInlineSource = (v: unknown): v is Record<string, unknown> => isPlainObject(v) && INLINE_FIELDS.some((k) => k in v);

/**
 * `value` with each plain object right under a key of `fields` (or in an array there) that `replace` maps (to
 * anything but undefined) replaced by what it returns; the others are searched further. Copies only what changes:
 * the rest is shared with `value`, which is untouched.
 */
export function replaceUnder(value: unknown, fields: ReadonlySet<string>, replace: (v: Record<string, unknown>) => unknown): unknown {
  const walk = (v: unknown, under: boolean): unknown => {
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const r = walk(v[i], under);
        if (r !== v[i]) (out ??= v.slice())[i] = r;
      }
      return out ?? v;
    }
    if (!isPlainObject(v)) return v;
    const replaced = under ? replace(v) : undefined;
    if (replaced !== undefined) return replaced;
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(v)) {
      const r = walk(v[k], fields.has(k));
      if (r !== v[k]) (out ??= { ...v })[k] = r;
    }
    return out ?? v;
  };
  return walk(value, false);
}

/**
 * `value` with every inline DataSource under a secret field (`private_key`, `password`, `pkcs12`, a generic
 * secret's `secret`, session ticket `keys`) shown as `{ inline_string: '[redacted]' }`, wherever it is; file
 * names and certificates stay. Copies only what it changes (the rest is shared with `value`, which is untouched).
 */
export function redactPrivateKeys<T>(value: T): T {
  return replaceUnder(value, SECRET_FIELDS, (v) => (isInlineSource(v) ? { ...REDACTED_DATA_SOURCE } : undefined)) as T;
}

const redactedValues = (values: Record<string, unknown>, bytes: (v: string) => number): Record<string, string> =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? `<redacted: ${bytes(v)} bytes>` : '<redacted>']));

/** kubectl apply keeps the whole object there, Secret values included. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * A copy of a Secret with every value of `data` and `stringData` (and kubectl's last-applied copy of them) as
 * `<redacted: N bytes>` (N: the decoded length of a data value, the UTF-8 length of a stringData one or of the
 * annotation); any other object with its inline private keys redacted.
 */
export function redactObject(obj: KubeObject): KubeObject {
  if (obj.kind !== 'Secret') return redactPrivateKeys(obj);
  const out: KubeObject = { ...obj };
  if (isPlainObject(obj.data)) out.data = redactedValues(obj.data, (v) => Buffer.byteLength(v, 'base64'));
  if (isPlainObject(obj.stringData)) out.stringData = redactedValues(obj.stringData, (v) => Buffer.byteLength(v, 'utf8'));
  const annotations = obj.metadata?.annotations;
  if (annotations && LAST_APPLIED in annotations) {
    out.metadata = { ...obj.metadata, annotations: { ...annotations, ...redactedValues({ [LAST_APPLIED]: annotations[LAST_APPLIED] }, (v) => Buffer.byteLength(v, 'utf8')) } };
  }
  return out;
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
          // The SPIFFE id of the client certificate it proved itself with on xDS over TLS, if any.
          ...(c.proxy!.identity ? { identity: spiffeId(c.proxy!.identity.trustDomain, c.proxy!.identity.namespace, c.proxy!.identity.serviceAccount) } : {}),
          connectedAt: c.connectedAt.toISOString(),
          // What of its node was ignored (a PROXY_CONFIG that does not read), and why.
          ...(c.proxy!.warnings ? { warnings: c.proxy!.warnings } : {}),
          types,
        };
      });

  const configz = () => ({
    version: state.store.version,
    sources: state.store.bySource(),
    objects: state.store.list().map(redactObject),
    errors: state.configErrors?.() ?? [],
  });

  const registryz = () => {
    const snap = state.cache().snapshot;
    return {
      version: snap.version,
      services: [...snap.services.values()].map((s) => ({ ...s, endpoints: snap.endpoints.get(s.hostname) ?? [] })),
      // Hosts defined more than once: the definitions after the first, which proxies of some namespaces get instead.
      alternatives: Object.fromEntries([...snap.alternatives].map(([host, defs]) => [host, defs.map((d) => ({ ...d.service, endpoints: d.endpoints }))])),
      workloads: snap.workloads,
    };
  };

  /** From the store as it is now (the snapshot follows it after the push debounce), with the snapshot's selectors. */
  const namespacez = () => {
    const selectors = state.cache().snapshot.mesh.discoverySelectors ?? [];
    return { version: state.store.version, discoverySelectors: selectors, namespaces: namespaceViews(state.store.list(), selectors) };
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
          resources: [...set.resources.values()].map((r) => ({ name: r.name, version: r.hash, resource: redactPrivateKeys(r.resource) })),
        };
      });
    return { proxy: proxy.id, scope, snapshot: cache.snapshot.version, configs };
  };

  return { syncz, configz, registryz, config_dump: configDump, envoyfilterz, namespacez };
}
