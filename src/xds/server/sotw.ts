/**
 * State-of-the-world ADS (StreamAggregatedResources). Per type: the first request subscribes (no names on
 * Envoy's LDS/CDS = wildcard), a request echoing the latest nonce ACKs it (or NACKs it with error_detail),
 * a request with an older nonce is stale and ignored, changed names get a full response. Pushes send only
 * what changed: the complete set for LDS/CDS (a missing listener or cluster is a removal), only the changed
 * resources for RDS/EDS.
 */
import { EMPTY_SET, type ResourceSet, type SetDiff } from './cache.js';
import { answer, FULL_STATE_TYPES, normalizeNames, resolveWatch, sameNames, newWatch, type Connection, type ServerContext, type WatchState, sendResponse, pushWatches } from './connection.js';
import { sotwResponse, type DiscoveryRequest } from './wire.js';

/**
 * Normalized name lists by the digest of their bytes: proxies of one kind send the same thousands of names, so
 * the list is decoded and sorted once and the proxies share one array (bounded: cleared when it grows large).
 * Before that, by the bytes themselves: the request reader hands equal lists over as one shared Buffer (wire.ts
 * internNames), so the usual lookup is by identity, with nothing hashed.
 */
interface Names {
  names: string[];
  star: boolean;
  bytes?: Buffer;
}
const normalized = new Map<string, Names>();
const byBytes = new WeakMap<Buffer, Names>();
function namesOf(req: DiscoveryRequest): Names {
  const b = req.names_bytes;
  if (b === undefined) return normalizeNames(req.resource_names);
  let n = byBytes.get(b);
  if (!n) {
    const d = req.names_digest!;
    n = normalized.get(d);
    if (!n) {
      if (normalized.size >= 10_000) normalized.clear();
      normalized.set(d, (n = { ...normalizeNames(req.resource_names), bytes: b }));
    }
    byBytes.set(b, n);
  }
  return n;
}

/**
 * Handles one request: records ACK/NACK and the subscription. Returns true when the proxy must be answered;
 * the answer goes out through the push queue (bounded concurrency, so a thousand proxies connecting at once
 * do not build a thousand sets of responses in memory at the same time).
 */
export function handleSotwRequest(ctx: ServerContext, conn: Connection, req: DiscoveryRequest): boolean {
  const typeUrl = req.type_url ?? '';
  const nonce = req.response_nonce ?? '';
  let w = conn.watches.get(typeUrl);
  if (w && nonce !== '' && nonce !== w.nonce) {
    ctx.log.debug({ proxy: conn.proxy?.id, type: typeUrl, nonce, latest: w.nonce }, 'xds: stale nonce ignored');
    return false;
  }
  if (w && nonce !== '' && w.pending) answer(ctx, conn, w, nonce, req.error_detail);
  // Envoy repeats its full name list in every ACK: an unchanged list (the same bytes as the stream's previous
  // request: one memcmp) is neither decoded, hashed nor sorted.
  const bytes = req.names_bytes;
  const same = w !== undefined && bytes !== undefined && w.namesBytes !== undefined && w.namesBytes.equals(bytes);
  const { names, star, bytes: kept } = same ? { names: w!.names, star: w!.star ?? false, bytes: w!.namesBytes } : namesOf(req);
  const first = !w;
  if (!w) {
    w = newWatch(typeUrl);
    conn.watches.set(typeUrl, w);
  }
  // Legacy wildcard: no names on the first request, and it stays so until names are ever given.
  const wildcard = first ? names.length === 0 || star : star || (w.wildcard && names.length === 0 && !w.everNamed);
  const changed = first || wildcard !== w.wildcard || !sameNames(names, w.names);
  w.wildcard = wildcard;
  w.names = names;
  w.namesBytes = kept;
  w.star = star;
  if (names.length > 0) w.everNamed = true;
  if (changed || nonce === '') w.wantFull = true;
  ctx.changed();
  return w.wantFull;
}

function send(ctx: ServerContext, conn: Connection, w: WatchState, set: ResourceSet, d: SetDiff, origin: number | undefined): Promise<void> | undefined {
  const start = performance.now();
  const build = (n: string): Buffer => sotwResponse(set.version, w.typeUrl, n, d.changed.map((r) => r.enc.sotw));
  let { nonce, buf } = ctx.cache().sharedResponse(d, build);
  if (nonce === w.nonce) {
    nonce = conn.nextNonce();
    buf = build(nonce);
  }
  return sendResponse(ctx, conn, w, set, nonce, buf, origin, start);
}

/** Sends the watch's resources: all of them (`full`, answering a request) or what changed since the last response. */
function respond(ctx: ServerContext, conn: Connection, w: WatchState, full: boolean, origin?: number): Promise<void> | undefined {
  const cache = ctx.cache();
  const pushing = !full && w.responses > 0;
  // A type the change could not affect, for a proxy whose scope stayed the same: nothing to look up.
  if (pushing && cache.keeps(w.currentIn, w.typeUrl) && w.currentScope === scopeOf(ctx, conn)) {
    w.currentIn = cache; // same scope: only the snapshot moves on
    return undefined;
  }
  const set = resolveWatch(ctx, conn, w);
  if (!set) {
    w.currentIn = undefined; // generation failed (logged): what the proxy has is not known to be current
    return undefined;
  }
  if (pushing && set.version === w.sentVersion) return current(ctx, conn, w);
  // A complete response is the difference from nothing: one path for both kinds (memoized per versions), so the
  // first push after the initial sync runs code the sync has already run, not code the JIT has never seen.
  const whole = full || FULL_STATE_TYPES.has(w.typeUrl);
  const sent = send(ctx, conn, w, set, cache.diff(w.typeUrl, whole ? EMPTY_SET : w.sent, set), origin);
  current(ctx, conn, w);
  return sent;
}

/** Records that what the watch was sent is what the current snapshot gives it. */
function current(ctx: ServerContext, conn: Connection, w: WatchState): undefined {
  const scope = scopeOf(ctx, conn);
  w.currentIn = scope === undefined ? undefined : ctx.cache();
  w.currentScope = scope ?? '';
  return undefined;
}

/** The proxy's scope in the current snapshot; undefined if it cannot be computed (resolveWatch logs why). */
function scopeOf(ctx: ServerContext, conn: Connection): string | undefined {
  try {
    return conn.scope(ctx.cache(), ctx.scopeOf);
  } catch {
    return undefined;
  }
}

/** Pushes the current snapshot to one SotW stream, type by type in dependency order (CDS, EDS, LDS, RDS). */
export function pushSotw(ctx: ServerContext, conn: Connection, origin: number | undefined): Promise<void> | undefined {
  // A watch never answered (its generation failed) gets a full response once generation works again.
  return pushWatches(conn, (w) => respond(ctx, conn, w, w.wantFull || w.responses === 0, w.wantFull ? undefined : origin));
}
