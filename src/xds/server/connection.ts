/**
 * One ADS stream (a connected proxy) and what it is subscribed to, per type: names or wildcard, what was sent
 * (versions, nonce), what the proxy acknowledged or rejected. Shared by the SotW and delta protocol loops.
 */
import { digest } from '../../core/hash.js';
import type { Logger } from '../../core/log.js';
import { PUSH_ORDER, TypeUrls } from '../../core/constants.js';
import type { Proxy } from '../../model/proxy.js';
import { EMPTY_SET, type ResourceSet, type SnapshotCache } from './cache.js';
import { type XdsMetrics, shortType } from './metrics.js';

export type StreamKind = 'sotw' | 'delta';

export interface Nack {
  version: string;
  nonce: string;
  message: string;
  code: number;
  at: string;
}

export interface WatchState {
  typeUrl: string;
  wildcard: boolean;
  /** Subscribed names, sorted, without `*`. */
  names: string[];
  /** The encoded names as last sent by the proxy (shared between streams that sent the same), to skip decoding an unchanged list. */
  namesBytes?: Buffer;
  /** Whether that list held the explicit wildcard `*`. */
  star?: boolean;
  /** names joined, memoized for cache lookups (valid while namesKeyOf === names). */
  namesKey?: string;
  namesKeyOf?: string[];
  /** Whether the subscription ever named resources (legacy wildcard ends for good then). */
  everNamed: boolean;
  /** SotW: the set the last response brought the proxy to. */
  sent: ResourceSet;
  /** Delta: name → version the proxy has (as far as we know). */
  versions: Map<string, string>;
  sentVersion: string;
  nonce: string;
  ackedVersion: string;
  ackedNonce: string;
  /** A response is out and neither ACKed nor NACKed yet. */
  pending: boolean;
  /** The proxy asked (subscribed, changed names): the next push answers with everything it should have. */
  wantFull: boolean;
  nack?: Nack;
  /** When the change carried by the latest response happened (ms since epoch), for convergence time; NaN if none. */
  origin: number;
  /** When the latest response was written (ms since epoch; /debug/syncz shows it as an ISO date). */
  sentAt?: number;
  responses: number;
  /**
   * SotW: the snapshot (and the proxy's scope in it) whose resources `sent` is known to equal, so that a later
   * snapshot that kept this type as it was (SnapshotCache.keeps) needs no lookup at all for this watch.
   */
  currentIn?: SnapshotCache;
  currentScope: string;
}

/**
 * A new watch. Every field is set here, in one order and with the kind of value it keeps (origin a number, NaN for
 * none), so that all watches share one hidden class that never changes: the push and ACK paths touch watches in
 * hot loops, and a field first set later (or set to undefined, then to a number) deoptimizes them.
 */
export function newWatch(typeUrl: string): WatchState {
  return {
    typeUrl,
    wildcard: false,
    names: [],
    namesBytes: undefined,
    star: false,
    namesKey: undefined,
    namesKeyOf: undefined,
    everNamed: false,
    sent: EMPTY_SET,
    versions: new Map(),
    sentVersion: '',
    nonce: '',
    ackedVersion: '',
    ackedNonce: '',
    pending: false,
    wantFull: false,
    nack: undefined,
    origin: NaN,
    sentAt: undefined,
    responses: 0,
    currentIn: undefined,
    currentScope: '',
  };
}

/** Types the generators know; anything else is answered with an empty response. */
export const KNOWN_TYPES: ReadonlySet<string> = new Set([TypeUrls.listener, TypeUrls.route, TypeUrls.cluster, TypeUrls.endpoint, TypeUrls.secret]);
/** Types where a response must carry the complete set (a missing resource is deleted). */
export const FULL_STATE_TYPES: ReadonlySet<string> = new Set([TypeUrls.listener, TypeUrls.cluster]);

/** The minimal writable side of a grpc-js duplex call. */
export interface Writable {
  write(chunk: Buffer, cb: (err?: Error | null) => void): boolean;
}

let connectionSeq = 0;

export class Connection {
  readonly seq = ++connectionSeq;
  proxy?: Proxy;
  /** The proxy as its node described it, before authorizeProxy corrected it: checked again when its pod changes. */
  claimed?: Proxy;
  readonly connectedAt = new Date();
  readonly watches = new Map<string, WatchState>();
  closed = false;
  /** What the log said of this proxy's credentials that are not served (`name\0reason`: once per stream). */
  readonly credentialNotes = new Set<string>();
  private nonceSeq = 0;
  private scopeCache?: { snapshot: string; proxy: Proxy; scope: string };

  /** Responses out and not yet answered, on this stream. */
  private unanswered = 0;

  constructor(
    readonly kind: StreamKind,
    private readonly call: Writable,
    readonly peer: string,
    /** Unanswered responses over every stream of the server (so "all settled" is a counter read, not a scan). */
    private readonly tally: { unanswered: number } = { unanswered: 0 },
  ) {}

  /** Marks the watch's latest response as out (true) or answered (false). */
  setPending(w: WatchState, pending: boolean): void {
    if (w.pending === pending) return;
    w.pending = pending;
    const d = pending ? 1 : -1;
    this.unanswered += d;
    if (!this.closed) this.tally.unanswered += d;
  }

  /** The stream is gone: its unanswered responses no longer count. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tally.unanswered -= this.unanswered;
  }

  /** `<proxy id>-<seq>`: unique even when a proxy reconnects before its old stream is gone. */
  get id(): string {
    return `${this.proxy?.id ?? 'unknown'}-${this.seq}`;
  }

  nextNonce(): string {
    this.nonceSeq += 1;
    return `${this.seq.toString(36)}-${this.nonceSeq.toString(36)}`;
  }

  /** Writes one response; resolves when it is handed to HTTP/2 (or the stream is gone). Never rejects. */
  write(buf: Buffer): Promise<void> {
    return new Promise((resolve) => this.send(buf, resolve));
  }

  /** write() with a callback: `done` runs once the response is handed to HTTP/2 or the stream is gone. */
  send(buf: Buffer, done: () => void): void {
    if (this.closed) return done();
    try {
      this.call.write(buf, () => done());
    } catch {
      done();
    }
  }

  /** The proxy's scope in the given snapshot (computed once per snapshot, and again when the proxy is replaced). */
  scope(cache: SnapshotCache, scopeOf: (c: SnapshotCache, p: Proxy) => string): string {
    const v = cache.snapshot.version;
    const proxy = this.proxy!;
    if (this.scopeCache?.snapshot !== v || this.scopeCache.proxy !== proxy) this.scopeCache = { snapshot: v, proxy, scope: scopeOf(cache, proxy) };
    return this.scopeCache.scope;
  }

  /** Whether every response sent has been answered (ACK or NACK). */
  get settled(): boolean {
    return this.unanswered === 0;
  }
}

/** Responses up to this size free their push-queue slot at once instead of when HTTP/2 takes them. */
export const SMALL_RESPONSE_BYTES = 16 * 1024;

/** Records a response on its watch (sent set, nonce, pending ACK), counts it, and writes it to the stream. */
export function sendResponse(ctx: ServerContext, conn: Connection, w: WatchState, set: ResourceSet, nonce: string, buf: Buffer, origin: number | undefined, start: number): Promise<void> | undefined {
  w.sent = set;
  w.sentVersion = set.version;
  w.nonce = nonce;
  conn.setPending(w, true);
  w.wantFull = false;
  w.origin = origin ?? NaN;
  w.sentAt = Date.now();
  w.responses += 1;
  const type = shortType(w.typeUrl);
  ctx.metrics.pushes.inc({ type });
  const written = (): void => ctx.metrics.pushTime.observe({ type }, (performance.now() - start) / 1000);
  // What the push waits on: nothing for a small response, else its write. The push queue bounds concurrency to
  // bound memory (a thousand route tables of 400 KB in flight would be 400 MB); a small response (an endpoint
  // change) costs next to no memory, and waiting for its write would only hold back the pushes to the other
  // proxies (so it gets no promise either: a thousand of them are a thousand promises and microtasks for nothing).
  if (buf.length <= SMALL_RESPONSE_BYTES) return void conn.send(buf, written);
  return conn.write(buf).then(written);
}

const pushOrders = new WeakMap<Connection, { size: number; watches: readonly WatchState[] }>();

/**
 * A stream's watches in push order (CDS, EDS, LDS, RDS, then any other type), so references resolve. Sorted once
 * per set of watches (watches are only ever added to a stream), not on every push.
 */
export function watchesInPushOrder(conn: Connection): readonly WatchState[] {
  const known = pushOrders.get(conn);
  if (known && known.size === conn.watches.size) return known.watches;
  const order = (t: string): number => {
    const i = PUSH_ORDER.indexOf(t as (typeof PUSH_ORDER)[number]);
    return i < 0 ? PUSH_ORDER.length : i;
  };
  const watches = [...conn.watches.values()].sort((a, b) => order(a.typeUrl) - order(b.typeUrl));
  pushOrders.set(conn, { size: conn.watches.size, watches });
  return watches;
}

/**
 * Answers each of a stream's watches in push order; the result is what the push waits on: the writes of the
 * responses that must be waited for, or undefined when there are none (no response, or only small ones).
 */
export function pushWatches(conn: Connection, respond: (w: WatchState) => Promise<void> | undefined): Promise<void> | undefined {
  let writes: Promise<void>[] | undefined;
  for (const w of watchesInPushOrder(conn)) {
    const p = respond(w);
    if (p) (writes ??= []).push(p);
  }
  return writes && Promise.all(writes).then(() => undefined);
}

/** What the protocol loops need from the server. */
export interface ServerContext {
  cache(): SnapshotCache;
  /** When the change behind the current snapshot happened (ms since epoch), if a change is being pushed. */
  origin(): number | undefined;
  scopeOf(cache: SnapshotCache, proxy: Proxy): string;
  log: Logger;
  metrics: XdsMetrics;
  /** Something changed that settled() waiters may care about. */
  changed(): void;
}

const namesKeys = new WeakMap<readonly string[], string>();

/** The resources a watch should have now; undefined when generation failed (logged; nothing is sent). */
export function resolveWatch(ctx: ServerContext, conn: Connection, w: WatchState): ResourceSet | undefined {
  if (!KNOWN_TYPES.has(w.typeUrl)) return EMPTY_SET;
  const cache = ctx.cache();
  try {
    if (w.namesKeyOf !== w.names) {
      // A short digest, not the joined list: Envoy's EDS lists run to tens of kilobytes per proxy. Memoized per
      // list: proxies that sent the same names share one normalized array (sotw.ts).
      let key = namesKeys.get(w.names);
      if (key === undefined) {
        key = w.names.length < 8 ? `n:${w.names.join('\n')}` : `h:${digest(w.names.join('\n'))}`;
        namesKeys.set(w.names, key);
      }
      w.namesKey = key;
      w.namesKeyOf = w.names;
    }
    return cache.resolve(conn.scope(cache, ctx.scopeOf), conn.proxy!, w.typeUrl, w.wildcard, w.names, w.namesKey);
  } catch (e) {
    ctx.log.error({ proxy: conn.proxy?.id, type: w.typeUrl, err: (e as Error).message }, 'xds: generation failed; keeping what the proxy has');
    return undefined;
  }
}

/** Records an ACK or NACK of the watch's latest nonce. */
export function answer(ctx: ServerContext, conn: Connection, w: WatchState, nonce: string, error: { code?: number; message?: string } | null | undefined): void {
  conn.setPending(w, false);
  if (error && (error.code || error.message)) {
    w.nack = { version: w.sentVersion, nonce, message: error.message ?? '', code: error.code ?? 0, at: new Date().toISOString() };
    ctx.metrics.nacks.inc({ type: shortType(w.typeUrl) });
    ctx.log.warn({ proxy: conn.proxy?.id, type: w.typeUrl, version: w.sentVersion, nonce, error: error.message }, 'xds: proxy rejected config (NACK); it keeps its last good version');
  } else {
    w.ackedVersion = w.sentVersion;
    w.ackedNonce = nonce;
    w.nack = undefined;
    if (!Number.isNaN(w.origin)) ctx.metrics.convergence.observe(Math.max(0, Date.now() - w.origin) / 1000);
  }
  w.origin = NaN;
}

/** Sorted, de-duplicated names without the wildcard marker. */
export function normalizeNames(names: readonly string[] | undefined): { names: string[]; star: boolean } {
  const set = new Set<string>();
  let star = false;
  for (const n of names ?? []) {
    if (n === '*') star = true;
    else if (typeof n === 'string' && n !== '') set.add(n);
  }
  return { names: [...set].sort(), star };
}

/** Whether two name lists are equal element by element (same order). */
export const sameNames = (a: readonly string[], b: readonly string[]): boolean => a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
