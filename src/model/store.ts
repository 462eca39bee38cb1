/**
 * The config store: every Kubernetes-shaped object mizzen knows, grouped by the source that contributed it
 * (`file:/etc/mesh/reviews.yaml`, `kube`, …). Pure data with change events; no I/O.
 *
 * Each source owns its objects: setSource() replaces all of them at once (one change event), upsert()/remove()
 * edit one. When two sources carry the same object key, the most recent write wins, and removing it from that
 * source uncovers the other one again.
 */
import { type KubeObject, objectKey } from '../core/kube.js';
import { indexOfSorted } from '../core/sorted.js';

export interface StoreChange {
  /** The store version after the change. */
  version: number;
  /** Kinds (`KubeObject.kind`) of the objects that were added, changed or removed. */
  kinds: Set<string>;
  /** objectKey() of every object that was added, changed or removed. */
  keys: string[];
}

interface Entry {
  obj: KubeObject;
  /** JSON text of obj, to detect real changes cheaply. */
  text: string;
  /** Store version when this entry was written: the newest entry of a key wins. */
  written: number;
}

export class ConfigStore {
  private readonly sources = new Map<string, Map<string, Entry>>();
  private readonly listeners = new Set<(e: StoreChange) => void>();
  private current = 0;
  /** Cached list() result and its keys (sorted); keys changed since it was made. */
  private listed: KubeObject[] | undefined;
  private listedKeys: string[] = [];
  private stale = new Set<string>();

  /** Monotonic: bumped on every effective change. */
  get version(): number {
    return this.current;
  }

  /** Replaces everything `source` contributes, emitting one change (none when nothing differs). */
  setSource(source: string, objects: readonly KubeObject[]): void {
    const before = this.sources.get(source) ?? new Map<string, Entry>();
    const after = new Map<string, Entry>();
    const changed = new Map<string, KubeObject>();
    const next = this.current + 1;
    for (const obj of objects) {
      const key = objectKey(obj);
      const text = JSON.stringify(obj);
      const old = before.get(key);
      if (old && old.text === text) after.set(key, old);
      else {
        after.set(key, { obj, text, written: next });
        changed.set(key, obj);
      }
    }
    for (const [key, old] of before) if (!after.has(key)) changed.set(key, old.obj);
    if (changed.size === 0) return;
    if (after.size === 0) this.sources.delete(source);
    else this.sources.set(source, after);
    this.commit(changed);
  }

  /** Adds or replaces one object of `source`. */
  upsert(source: string, obj: KubeObject): void {
    const key = objectKey(obj);
    const text = JSON.stringify(obj);
    const objects = this.sources.get(source) ?? new Map<string, Entry>();
    if (objects.get(key)?.text === text) return;
    objects.set(key, { obj, text, written: this.current + 1 });
    this.sources.set(source, objects);
    this.commit(new Map([[key, obj]]));
  }

  /** Removes one object (key = objectKey(obj)) from `source`; unknown keys are ignored. */
  remove(source: string, key: string): void {
    const objects = this.sources.get(source);
    const old = objects?.get(key);
    if (!objects || !old) return;
    objects.delete(key);
    if (objects.size === 0) this.sources.delete(source);
    this.commit(new Map([[key, old.obj]]));
  }

  /** Every object, one per key (the newest write wins), sorted by key for determinism. A new array after a change. */
  list(): KubeObject[] {
    if (this.listed && this.stale.size === 0) return this.listed;
    const patched = this.listed && this.patchListed(this.listed);
    if (patched) this.listed = patched;
    else {
      const keys = new Set<string>();
      for (const objects of this.sources.values()) for (const key of objects.keys()) keys.add(key);
      this.listedKeys = [...keys].sort();
      this.listed = this.listedKeys.map((k) => this.winner(k)!.obj);
    }
    this.stale.clear();
    return this.listed;
  }

  /**
   * The previous list with the changed objects replaced in place, when every changed key was listed and still
   * exists (edits, the usual change): a copy, where a rebuild sorts every key again. Undefined otherwise.
   */
  private patchListed(prev: readonly KubeObject[]): KubeObject[] | undefined {
    if (this.stale.size > 64) return undefined;
    const out = [...prev];
    for (const key of this.stale) {
      const at = indexOfSorted(this.listedKeys, key);
      const winner = this.winner(key);
      if (at < 0 || !winner) return undefined;
      out[at] = winner.obj;
    }
    return out;
  }

  /** The entry of `key` that wins (newest write) across sources. */
  private winner(key: string): Entry | undefined {
    let w: Entry | undefined;
    for (const objects of this.sources.values()) {
      const e = objects.get(key);
      if (e && (!w || e.written > w.written)) w = e;
    }
    return w;
  }

  /** Objects grouped by source, for /debug/configz. */
  bySource(): Array<{ source: string; keys: string[] }> {
    return [...this.sources.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([source, m]) => ({ source, keys: [...m.keys()].sort() }));
  }

  /** Subscribes to changes; returns the unsubscribe function. A throwing listener never breaks the others. */
  onChange(fn: (e: StoreChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private commit(changed: Map<string, KubeObject>): void {
    this.current += 1;
    for (const k of changed.keys()) this.stale.add(k);
    const e: StoreChange = { version: this.current, kinds: new Set([...changed.values()].map((o) => o.kind)), keys: [...changed.keys()].sort() };
    for (const fn of [...this.listeners]) {
      try {
        fn(e);
      } catch {
        // A listener's bug must not stop the store or the other listeners.
      }
    }
  }
}
