/**
 * Generated and encoded resources for one snapshot. Output is generated once per (proxy scope, type) and kept
 * for the life of the snapshot; every resource gets a content hash (its version), and each distinct content is
 * encoded once into a shared buffer (an EncodedPool entry that survives into the next snapshot when unchanged).
 */
import { createHash } from 'node:crypto';
import type { Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import type { KubeObject } from '../../core/kube.js';
import { encode } from '../proto.js';
import { deltaEntry, encodeAny, lenField, sotwEntry } from './wire.js';
import { narrow, type ReusePlan } from './reuse.js';
import { TypeUrls } from '../../core/constants.js';

export interface NamedResource {
  name: string;
  resource: Record<string, unknown>;
}

/** The pure core the server runs: snapshot building, generation and proxy scoping (injectable for tests). */
export interface Generators {
  buildSnapshot(objects: readonly KubeObject[], opts: { domainSuffix?: string }): Snapshot;
  /** The next snapshot from the previous one and the keys of the objects changed since (optional: else buildSnapshot). */
  updateSnapshot?(prev: Snapshot, objects: readonly KubeObject[], changedKeys: Iterable<string>, opts: { domainSuffix?: string }): Snapshot;
  generate(snap: Snapshot, proxy: Proxy, typeUrl: string, names?: readonly string[]): NamedResource[];
  proxyScope(snap: Snapshot, proxy: Proxy): string;
}

/** One encoded content, shared by every proxy and scope that has it. */
export interface Encoded {
  /** Content hash: the resource's version. */
  hash: string;
  /** The encoded google.protobuf.Any. */
  any: Buffer;
  /** The DiscoveryResponse `resources` entry. */
  sotw: Buffer;
}

export interface CachedResource {
  name: string;
  hash: string;
  enc: Encoded;
  /** The generated object (snake_case), for config_dump. */
  resource: Record<string, unknown>;
}

/** A resolved set of resources for one subscription, with its type version (hash of names and versions). */
export interface ResourceSet {
  version: string;
  resources: ReadonlyMap<string, CachedResource>;
}

const hashOf = (text: string): string => createHash('sha1').update(text).digest('base64url').slice(0, 16);

/** A route configuration's virtual hosts are encoded one by one from this many on (see EncodedPool.route). */
const SPLIT_VIRTUAL_HOSTS = 8;
const VIRTUAL_HOST = 'envoy.config.route.v3.VirtualHost';

/**
 * Encoded contents of the current and the previous snapshot: unchanged resources are not encoded again. Looked
 * up by content (the JSON text; hashed only on a miss) and, before that, by the object itself: generators
 * that memoize a resource (EDS per endpoint list, outbound clusters) or a virtual host hand back the same object,
 * which is then never serialized again.
 *
 * A large route configuration is encoded per virtual host: proxy scopes (namespaces) share most of their virtual
 * hosts, and a VirtualService change touches a few, so each distinct virtual host is encoded once and the
 * configurations are concatenations (a repeated field may be written as separate fields: decoders append them).
 */
export class EncodedPool {
  private current = new Map<string, Encoded>();
  private previous = new Map<string, Encoded>();
  private parts = new Map<string, { hash: string; field: Buffer }>();
  private previousParts = new Map<string, { hash: string; field: Buffer }>();
  private readonly byObject = new WeakMap<object, { typeUrl: string; key: string; enc: Encoded }>();
  /** Virtual hosts by identity: generators hand back the same object for the same content (memoized hosts). */
  private readonly partByObject = new WeakMap<object, { hash: string; field: Buffer }>();
  encodes = 0;

  get(typeUrl: string, resource: Record<string, unknown>): Encoded {
    const known = this.byObject.get(resource);
    if (known && known.typeUrl === typeUrl) {
      if (!this.current.has(known.key)) this.current.set(known.key, known.enc);
      return known.enc;
    }
    const vhs = resource.virtual_hosts;
    if (typeUrl === TypeUrls.route && Array.isArray(vhs) && vhs.length >= SPLIT_VIRTUAL_HOSTS) return this.route(resource, vhs);
    const text = JSON.stringify(resource);
    const key = `${typeUrl}\n${text}`;
    let e = this.current.get(key) ?? this.previous.get(key);
    if (!e) {
      const any = encodeAny(typeUrl, encode(typeUrl, resource));
      e = { hash: hashOf(text), any, sotw: sotwEntry(any) };
      this.encodes += 1;
    }
    this.current.set(key, e);
    this.byObject.set(resource, { typeUrl, key, enc: e });
    return e;
  }

  /** A route configuration: its other fields, then each virtual host as its own encoded field (memoized by content). */
  private route(resource: Record<string, unknown>, vhs: unknown[]): Encoded {
    const rest: Record<string, unknown> = { ...resource };
    delete rest.virtual_hosts;
    const restText = JSON.stringify(rest);
    const fields: Buffer[] = [];
    const hashes: string[] = [restText];
    for (const vh of vhs) {
      let part = this.partByObject.get(vh as object);
      if (!part) {
        const text = JSON.stringify(vh);
        part = this.parts.get(text) ?? this.previousParts.get(text);
        if (!part) part = { hash: hashOf(text), field: lenField(2, encode(VIRTUAL_HOST, vh as object)) };
        this.parts.set(text, part);
        this.partByObject.set(vh as object, part);
      }
      fields.push(part.field);
      hashes.push(part.hash);
    }
    const key = `${TypeUrls.route}\n#${createHash('sha1').update(hashes.join('\n')).digest('base64url')}`;
    let e = this.current.get(key) ?? this.previous.get(key);
    if (!e) {
      const any = encodeAny(TypeUrls.route, Buffer.concat([encode(TypeUrls.route, rest), ...fields]));
      e = { hash: hashOf(key), any, sotw: sotwEntry(any) };
      this.encodes += 1;
    }
    this.current.set(key, e);
    this.byObject.set(resource, { typeUrl: TypeUrls.route, key, enc: e });
    return e;
  }

  /** Called when a new snapshot replaces the old one: contents not used since the last rotation are dropped. */
  rotate(): void {
    this.previous = this.current;
    this.current = new Map();
    this.previousParts = this.parts;
    this.parts = new Map();
  }

  get size(): number {
    return this.current.size;
  }
}

interface TypeEntry {
  /** The complete set from generate() without names (undefined until someone needs it). */
  all?: Map<string, CachedResource>;
  /** Resources generated for explicit names that the complete set lacks (null = does not exist). */
  named: Map<string, CachedResource | null>;
  /** Resolved sets by subscription key. */
  sets: Map<string, ResourceSet>;
}

export interface GenerationStat {
  scope: string;
  typeUrl: string;
  ms: number;
  resources: number;
}

const deltaEntries = new WeakMap<CachedResource, Buffer>();
let sharedSeq = 0;

/** The DeltaDiscoveryResponse entry of a resource (memoized on the cached resource). */
export function deltaEntryOf(r: CachedResource): Buffer {
  let b = deltaEntries.get(r);
  if (!b) {
    b = deltaEntry(r.name, r.hash, r.enc.any);
    deltaEntries.set(r, b);
  }
  return b;
}

/** Generated resources of one snapshot, per proxy scope and type. */
export class SnapshotCache {
  private readonly scopes = new Map<string, Map<string, TypeEntry>>();
  private readonly diffs = new Map<string, { changed: CachedResource[]; removed: string[] }>();
  private readonly responses = new Map<string, { nonce: string; buf: Buffer }>();
  /** The previous and this snapshot narrowed to the hosts whose endpoints changed (see complete()). */
  private narrowed?: { before: Snapshot; after: Snapshot };
  readonly stats: GenerationStat[] = [];

  constructor(
    readonly snapshot: Snapshot,
    private readonly gens: Generators,
    private readonly pool: EncodedPool,
    private readonly onGenerate?: (s: GenerationStat) => void,
    /** The previous snapshot's cache and what of it may be kept (see reuse.ts). */
    private previous?: { cache: SnapshotCache; plan: ReusePlan },
  ) {
    // Only one generation back is ever needed: do not keep a chain of old snapshots alive.
    previous?.cache.release();
  }

  /** Forgets the previous snapshot (called when this cache is itself replaced). */
  release(): void {
    this.previous = undefined;
    this.narrowed = undefined;
  }

  private entry(scope: string, typeUrl: string): TypeEntry {
    let types = this.scopes.get(scope);
    if (!types) this.scopes.set(scope, (types = new Map()));
    let e = types.get(typeUrl);
    if (!e) {
      const old = this.previous?.plan.reuse.has(typeUrl) ? this.previous.cache.peek(scope, typeUrl) : undefined;
      // Kept as is: same resources, same sets, same versions (so nothing is pushed for this type).
      e = old ? { all: old.all, named: old.named, sets: old.sets } : { named: new Map(), sets: new Map() };
      types.set(typeUrl, e);
    }
    return e;
  }

  /** A scope's generated type, if any (for the next snapshot's reuse). */
  peek(scope: string, typeUrl: string): TypeEntry | undefined {
    return this.scopes.get(scope)?.get(typeUrl);
  }

  /** The complete set of a type for a scope: from a partial regeneration when the plan allows, else generated. */
  private complete(scope: string, proxy: Proxy, typeUrl: string): Map<string, CachedResource> {
    const hosts = this.previous?.plan.edsHosts;
    const old = typeUrl === TypeUrls.endpoint && hosts ? this.previous!.cache.peek(scope, typeUrl)?.all : undefined;
    if (!old || !hosts) return this.run(scope, proxy, typeUrl);
    const start = performance.now();
    const all = new Map(old);
    // The two narrowed snapshots are made once and shared by every scope, so what generators memoize per
    // snapshot object (indexes, per-service results) is computed once, not once per scope.
    const views = (this.narrowed ??= { before: narrow(this.previous!.cache.snapshot, hosts), after: narrow(this.snapshot, hosts) });
    for (const { name } of this.gens.generate(views.before, proxy, typeUrl)) all.delete(name);
    for (const { name, resource } of this.gens.generate(views.after, proxy, typeUrl)) {
      const enc = this.pool.get(typeUrl, resource);
      all.set(name, { name, hash: enc.hash, enc, resource });
    }
    const stat = { scope, typeUrl, ms: performance.now() - start, resources: all.size };
    this.stats.push(stat);
    this.onGenerate?.(stat);
    return all;
  }

  private run(scope: string, proxy: Proxy, typeUrl: string, names?: readonly string[]): Map<string, CachedResource> {
    const start = performance.now();
    const out = new Map<string, CachedResource>();
    for (const { name, resource } of this.gens.generate(this.snapshot, proxy, typeUrl, names)) {
      const enc = this.pool.get(typeUrl, resource);
      out.set(name, { name, hash: enc.hash, enc, resource });
    }
    const stat = { scope, typeUrl, ms: performance.now() - start, resources: out.size };
    this.stats.push(stat);
    this.onGenerate?.(stat);
    return out;
  }

  /**
   * The resources a subscription gets: everything (wildcard) plus the named ones that exist. Generation throws
   * only on a generator bug; the caller decides what to do then.
   */
  resolve(scope: string, proxy: Proxy, typeUrl: string, wildcard: boolean, names: readonly string[], namesKey = names.join('\n')): ResourceSet {
    const e = this.entry(scope, typeUrl);
    const key = `${wildcard ? '*' : ''}|${namesKey}`;
    const hit = e.sets.get(key);
    if (hit) return hit;
    e.all ??= this.complete(scope, proxy, typeUrl);
    const missing = names.filter((n) => !e.all!.has(n) && !e.named.has(n));
    if (missing.length > 0) {
      const extra = this.run(scope, proxy, typeUrl, missing);
      for (const n of missing) e.named.set(n, extra.get(n) ?? null);
    }
    let resources: Map<string, CachedResource>;
    if (wildcard) {
      resources = new Map(e.all);
      for (const n of names) {
        const r = e.named.get(n);
        if (r && !resources.has(n)) resources.set(n, r);
      }
    } else {
      resources = new Map();
      for (const n of names) {
        const r = e.all.get(n) ?? e.named.get(n);
        if (r) resources.set(n, r);
      }
    }
    const set = { version: setVersion(resources), resources };
    e.sets.set(key, set);
    return set;
  }

  /** What changed between a set the proxy has and a new one (memoized: proxies that share sets share the diff). */
  diff(typeUrl: string, from: ResourceSet, to: ResourceSet): { changed: CachedResource[]; removed: string[] } {
    const key = `${typeUrl}|${from.version}|${to.version}`;
    let d = this.diffs.get(key);
    if (d) return d;
    const changed: CachedResource[] = [];
    for (const r of to.resources.values()) if (from.resources.get(r.name)?.hash !== r.hash) changed.push(r);
    const removed: string[] = [];
    for (const n of from.resources.keys()) if (!to.resources.has(n)) removed.push(n);
    d = { changed, removed };
    this.diffs.set(key, d);
    return d;
  }

  /**
   * A whole SotW response shared by every stream that gets the same content (same type, same resources, same
   * version): built once, nonce included, so a push to a thousand proxies writes one buffer a thousand times
   * instead of concatenating a thousand copies. Nonces need only be unique per stream; the caller builds a
   * private response when the shared nonce is the stream's latest already.
   */
  sharedResponse(key: string, build: (nonce: string) => Buffer): { nonce: string; buf: Buffer } {
    let r = this.responses.get(key);
    if (!r) {
      const nonce = `s${(++sharedSeq).toString(36)}`;
      r = { nonce, buf: build(nonce) };
      this.responses.set(key, r);
    }
    return r;
  }

  /** Number of distinct scopes generated so far. */
  get scopeCount(): number {
    return this.scopes.size;
  }
}

/** The version of a set of resources: a hash of their names and versions (empty set: ''). */
export function setVersion(resources: ReadonlyMap<string, CachedResource>): string {
  if (resources.size === 0) return 'empty';
  // One update of the joined text (the same bytes as one update per entry, without a native call per entry).
  const parts: string[] = [];
  for (const n of [...resources.keys()].sort()) parts.push(`${n}\0${resources.get(n)!.hash}\n`);
  return createHash('sha1').update(parts.join('')).digest('base64url').slice(0, 16);
}

export const EMPTY_SET: ResourceSet = { version: '', resources: new Map() };
