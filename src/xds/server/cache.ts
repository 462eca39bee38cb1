/**
 * Generated and encoded resources for one snapshot. Output is generated once per (proxy scope, type) and kept
 * for the life of the snapshot; every resource gets a content hash (its version), and each distinct content is
 * encoded once into a shared buffer (an EncodedPool entry that survives into the next snapshot when unchanged).
 */
import type { Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import type { KubeObject } from '../../core/kube.js';
import { deltaEntry } from './wire.js';
import type { Encoded, EncodedPool } from './pool.js';
import { narrow, type ReusePlan } from './reuse.js';
import { TypeUrls } from '../../core/constants.js';
import { indexOfSorted } from '../../core/sorted.js';
import { shortHash } from '../../core/hash.js';
import { selfDiscovery } from '../gen/self-discovery.js';

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

interface TypeEntry {
  /** The complete set from generate() without names (undefined until someone needs it). */
  all?: Map<string, CachedResource>;
  /** Resources generated for explicit names that the complete set lacks (null = does not exist). */
  named: Map<string, CachedResource | null>;
  /** Resolved sets by the subscription's names key, for explicit names and for wildcard subscriptions. */
  sets: Map<string, ResourceSet>;
  wildSets: Map<string, ResourceSet>;
  /**
   * When `all` was derived from the previous snapshot's (an endpoint change): the names whose resource may differ
   * from the previous snapshot's, so the sets can be derived the same way (see derive()).
   */
  changed?: Set<string>;
}

/** What changed from one set to another, and the SotW response carrying it (built once, shared). */
export interface SetDiff {
  changed: CachedResource[];
  removed: string[];
  response?: { nonce: string; buf: Buffer };
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
  /**
   * Diffs by type, then the two sets' versions: nested maps of strings kept on the sets, so a push, which looks a
   * diff up once per stream, builds no key string (and hashes none: a string keeps its hash once computed).
   */
  private readonly diffs = new Map<string, Map<string, Map<string, SetDiff>>>();
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
    const types = memoMap(this.scopes, scope);
    let e = types.get(typeUrl);
    if (!e) {
      const old = this.previous?.plan.reuse.has(typeUrl) ? this.previous.cache.peek(scope, typeUrl) : undefined;
      // Kept as is: same resources, same sets, same versions (so nothing is pushed for this type).
      e = old ? { all: old.all, named: old.named, sets: old.sets, wildSets: old.wildSets } : { named: new Map(), sets: new Map(), wildSets: new Map() };
      types.set(typeUrl, e);
    }
    return e;
  }

  /**
   * Whether this snapshot gives a scope the same resources of a type as `before` did: it is `before`, or it
   * follows it and kept the type as it was (see reuse.ts). The scope must be the same in both.
   */
  keeps(before: SnapshotCache | undefined, typeUrl: string): boolean {
    return before === this || (before !== undefined && this.previous?.cache === before && this.previous.plan.reuse.has(typeUrl));
  }

  /** A scope's generated type, if any (for the next snapshot's reuse). */
  peek(scope: string, typeUrl: string): TypeEntry | undefined {
    return this.scopes.get(scope)?.get(typeUrl);
  }

  /**
   * The complete set of a type for a scope: from a partial regeneration when the plan allows (then the entry's
   * `changed` names what may differ), else generated.
   */
  private complete(scope: string, proxy: Proxy, typeUrl: string, e: TypeEntry): Map<string, CachedResource> {
    const hosts = this.previous?.plan.edsHosts;
    // A proxy's local_cluster reads the whole registry (which services select it), not the changed services alone.
    const old = typeUrl === TypeUrls.endpoint && hosts && !selfDiscovery(proxy) ? this.previous!.cache.peek(scope, typeUrl)?.all : undefined;
    if (!old || !hosts) return this.run(scope, proxy, typeUrl);
    const start = performance.now();
    const all = new Map(old);
    const changed = new Set<string>();
    // The two narrowed snapshots are made once and shared by every scope, so what generators memoize per
    // snapshot object (indexes, per-service results) is computed once, not once per scope.
    const views = (this.narrowed ??= { before: narrow(this.previous!.cache.snapshot, hosts), after: narrow(this.snapshot, hosts) });
    for (const { name } of this.gens.generate(views.before, proxy, typeUrl)) {
      all.delete(name);
      changed.add(name);
    }
    for (const { name, resource } of this.gens.generate(views.after, proxy, typeUrl)) {
      all.set(name, this.cached(typeUrl, name, resource));
      changed.add(name);
    }
    e.changed = changed;
    this.record(scope, typeUrl, start, all.size);
    return all;
  }

  private run(scope: string, proxy: Proxy, typeUrl: string, names?: readonly string[]): Map<string, CachedResource> {
    const start = performance.now();
    const out = new Map<string, CachedResource>();
    for (const { name, resource } of this.gens.generate(this.snapshot, proxy, typeUrl, names)) out.set(name, this.cached(typeUrl, name, resource));
    this.record(scope, typeUrl, start, out.size);
    return out;
  }

  /** A generated resource with its encoding (from the pool: encoded once per distinct content). */
  private cached(typeUrl: string, name: string, resource: Record<string, unknown>): CachedResource {
    const enc = this.pool.get(typeUrl, resource);
    return { name, hash: enc.hash, enc, resource };
  }

  /** Records one generation (scope, type, time since `start`, resources) for stats and the metrics callback. */
  private record(scope: string, typeUrl: string, start: number, resources: number): void {
    const stat = { scope, typeUrl, ms: performance.now() - start, resources };
    this.stats.push(stat);
    this.onGenerate?.(stat);
  }

  /**
   * The resources a subscription gets: everything (wildcard) plus the named ones that exist. Generation throws
   * only on a generator bug; the caller decides what to do then.
   */
  resolve(scope: string, proxy: Proxy, typeUrl: string, wildcard: boolean, names: readonly string[], namesKey = names.join('\n')): ResourceSet {
    const e = this.entry(scope, typeUrl);
    const sets = wildcard ? e.wildSets : e.sets;
    const hit = sets.get(namesKey);
    if (hit) return hit;
    const all = (e.all ??= this.complete(scope, proxy, typeUrl, e));
    const derived = this.derive(scope, typeUrl, e, wildcard, names, namesKey);
    if (derived) {
      sets.set(namesKey, derived);
      return derived;
    }
    const missing = names.filter((n) => !all.has(n) && !e.named.has(n));
    if (missing.length > 0) {
      const extra = this.run(scope, proxy, typeUrl, missing);
      for (const n of missing) e.named.set(n, extra.get(n) ?? null);
    }
    let resources: ReadonlyMap<string, CachedResource>;
    if (covers(all, wildcard, names, e.named)) resources = all;
    else if (wildcard) {
      const m = new Map(all);
      for (const n of names) {
        const r = e.named.get(n);
        if (r && !m.has(n)) m.set(n, r);
      }
      resources = m;
    } else {
      const m = new Map<string, CachedResource>();
      for (const n of names) {
        const r = all.get(n) ?? e.named.get(n);
        if (r) m.set(n, r);
      }
      resources = m;
    }
    const set = { version: setVersion(resources), resources };
    sets.set(namesKey, set);
    return set;
  }

  /**
   * After an endpoint change, a subscription's set is the previous snapshot's set for the same subscription with
   * the changed names replaced, where building it again means a lookup per subscribed name (thousands, for every
   * scope) and a digest of the whole list. Its version is then the digest of the previous version and the
   * changes, not of the content: equal content reached along different paths may carry different versions, which
   * costs at most a response a proxy did not strictly need. Undefined when the set cannot be derived (no previous
   * set, or names generated on request that may have changed).
   */
  private derive(scope: string, typeUrl: string, e: TypeEntry, wildcard: boolean, names: readonly string[], namesKey: string): ResourceSet | undefined {
    const changed = e.changed;
    const old = changed && this.previous?.cache.peek(scope, typeUrl);
    const before = old && (wildcard ? old.wildSets : old.sets).get(namesKey);
    if (!before) return undefined;
    for (const r of old.named.values()) if (r) return undefined;
    const all = e.all!;
    const edits: Array<[string, CachedResource | undefined]> = [];
    for (const n of [...changed].sort()) {
      if (!wildcard && indexOfSorted(names, n) < 0) continue;
      const r = all.get(n);
      if (r !== before.resources.get(n)) edits.push([n, r]);
    }
    if (edits.length === 0) return before;
    const version = shortHash(`${before.version}\n${edits.map(([n, r]) => `${n}\0${r?.hash ?? ''}`).join('\n')}`);
    // A set that was the complete set stays it when the subscription still covers it (no copy at all).
    if (before.resources === old.all && covers(all, wildcard, names, e.named)) return { version: all.size === 0 ? 'empty' : version, resources: all };
    const resources = new Map(before.resources);
    for (const [n, r] of edits) {
      if (r) resources.set(n, r);
      else resources.delete(n);
    }
    return { version: resources.size === 0 ? 'empty' : version, resources };
  }

  /** What changed between a set the proxy has and a new one (memoized: proxies that share sets share the diff). */
  diff(typeUrl: string, from: ResourceSet, to: ResourceSet): SetDiff {
    const byTo = memoMap(memoMap(this.diffs, typeUrl), from.version);
    let d = byTo.get(to.version);
    if (d) return d;
    const changed: CachedResource[] = [];
    for (const r of to.resources.values()) if (from.resources.get(r.name)?.hash !== r.hash) changed.push(r);
    const removed: string[] = [];
    for (const n of from.resources.keys()) if (!to.resources.has(n)) removed.push(n);
    d = { changed, removed };
    byTo.set(to.version, d);
    return d;
  }

  /**
   * The SotW response carrying a diff, shared by every stream that gets it (same type, same resources, same
   * version): built once, nonce included, so a push to a thousand proxies writes one buffer a thousand times
   * instead of concatenating a thousand copies. Nonces need only be unique per stream; the caller builds a
   * private response when the shared nonce is the stream's latest already.
   */
  sharedResponse(d: SetDiff, build: (nonce: string) => Buffer): { nonce: string; buf: Buffer } {
    if (!d.response) {
      const nonce = `s${(++sharedSeq).toString(36)}`;
      d.response = { nonce, buf: build(nonce) };
    }
    return d.response;
  }

  /** Number of distinct scopes generated so far. */
  get scopeCount(): number {
    return this.scopes.size;
  }
}

/**
 * Whether a subscription gets exactly the complete set (then the set shares its map, read only): a wildcard one
 * that names nothing generated on request, or one naming every resource of the set.
 */
function covers(all: ReadonlyMap<string, CachedResource>, wildcard: boolean, names: readonly string[], named: ReadonlyMap<string, CachedResource | null>): boolean {
  if (wildcard) return names.every((n) => all.has(n) || !named.get(n));
  return names.length === all.size && names.every((n) => all.has(n));
}

/** The map under `key` in `outer`, made when missing. */
function memoMap<K, V>(outer: Map<K, Map<string, V>>, key: K): Map<string, V> {
  let m = outer.get(key);
  if (!m) outer.set(key, (m = new Map()));
  return m;
}

/** The version of a set of resources: a hash of their names and versions (empty set: ''). */
export function setVersion(resources: ReadonlyMap<string, CachedResource>): string {
  if (resources.size === 0) return 'empty';
  // One update of the joined text (the same bytes as one update per entry, without a native call per entry).
  const parts: string[] = [];
  for (const n of [...resources.keys()].sort()) parts.push(`${n}\0${resources.get(n)!.hash}\n`);
  return shortHash(parts.join(''));
}

export const EMPTY_SET: ResourceSet = { version: '', resources: new Map() };
