/**
 * Incremental ADS (DeltaAggregatedResources). Subscriptions change by subscribe/unsubscribe lists (first request
 * with no names, or `*`, is wildcard); the server tracks the version of every resource the proxy has (seeded by
 * initial_resource_versions on reconnect) and sends only resources whose version differs, plus the names of
 * resources that are gone (removed_resources). Nonces only ACK/NACK: subscription changes apply whatever the nonce.
 */
import { deltaEntryOf } from './cache.js';
import { answer, normalizeNames, resolveWatch, newWatch, type Connection, type ServerContext, type WatchState, sendResponse, pushWatches } from './connection.js';
import { deltaResponse, type DeltaDiscoveryRequest } from './wire.js';

/** Handles one request; returns true when the proxy must be answered (through the push queue). */
export function handleDeltaRequest(ctx: ServerContext, conn: Connection, req: DeltaDiscoveryRequest): boolean {
  const typeUrl = req.type_url ?? '';
  const nonce = req.response_nonce ?? '';
  let w = conn.watches.get(typeUrl);
  if (w && nonce !== '') {
    if (nonce === w.nonce && w.pending) answer(ctx, conn, w, nonce, req.error_detail);
    else if (req.error_detail && (req.error_detail.code || req.error_detail.message)) {
      // A NACK of an older response still tells us something went wrong: record it, keep waiting for the latest.
      const pending = w.pending;
      answer(ctx, conn, w, nonce, req.error_detail);
      conn.setPending(w, pending);
    }
  }
  const sub = normalizeNames(req.resource_names_subscribe);
  const unsub = normalizeNames(req.resource_names_unsubscribe);
  const first = !w;
  let changed = first;
  if (!w) {
    w = newWatch(typeUrl);
    conn.watches.set(typeUrl, w);
    w.wildcard = sub.star || sub.names.length === 0;
    for (const [name, version] of Object.entries(req.initial_resource_versions ?? {})) if (typeof version === 'string') w.versions.set(name, version);
  } else if (sub.star && !w.wildcard) {
    w.wildcard = true;
    changed = true;
  }
  const names = new Set(w.names);
  for (const n of sub.names) {
    if (!names.has(n)) {
      names.add(n);
      changed = true;
    }
  }
  for (const n of unsub.names) {
    if (names.delete(n)) changed = true;
    if (!w.wildcard) w.versions.delete(n);
  }
  if (unsub.star && w.wildcard) {
    w.wildcard = false;
    changed = true;
    for (const n of [...w.versions.keys()]) if (!names.has(n)) w.versions.delete(n);
  }
  w.names = [...names].sort();
  if (names.size > 0) w.everNamed = true;
  if (first) w.wantFull = true;
  ctx.changed();
  return changed;
}

/** Sends what the proxy lacks or has in an older version, and what it has that is gone. `force`: even if nothing. */
function respondDelta(ctx: ServerContext, conn: Connection, w: WatchState, force: boolean, origin?: number): Promise<void> | undefined {
  const set = resolveWatch(ctx, conn, w);
  if (!set) return undefined;
  const changed = [...set.resources.values()].filter((r) => w.versions.get(r.name) !== r.hash);
  const subscribed = new Set(w.names);
  const removed = [...w.versions.keys()].filter((n) => !set.resources.has(n) && (w.wildcard || subscribed.has(n)));
  if (!force && changed.length === 0 && removed.length === 0) {
    w.sent = set;
    w.sentVersion = set.version;
    if (!w.pending) w.ackedVersion = set.version;
    return undefined;
  }
  for (const r of changed) w.versions.set(r.name, r.hash);
  for (const n of removed) w.versions.delete(n);
  const start = performance.now();
  const nonce = conn.nextNonce();
  const buf = deltaResponse(set.version, w.typeUrl, nonce, changed.map(deltaEntryOf), removed);
  return sendResponse(ctx, conn, w, set, nonce, buf, origin, start);
}

/** Pushes the current snapshot to one delta stream: per type, changed and removed resources only. */
export function pushDelta(ctx: ServerContext, conn: Connection, origin: number | undefined): Promise<void> | undefined {
  return pushWatches(conn, (w) => respondDelta(ctx, conn, w, w.wantFull || w.responses === 0, origin));
}
