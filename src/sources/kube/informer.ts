/**
 * One supervised informer: client-node's ListWatch (list, then watch from the list's resourceVersion; relist on
 * 410 Gone, deleting what vanished meanwhile) over our WatchTransport, kept alive by a supervisor:
 *
 * - an `error` stops a ListWatch for good; the supervisor restarts it promptly with backoff (100 ms doubling to
 *   5 s by default, reset by any success: a list applied or an event received). A restart resumes the watch
 *   from the last resourceVersion; only a 410 relists.
 * - a kind whose CRD is missing (list answers 404) counts as empty and synced (it must not hold readiness
 *   hostage), objects of it that were known are deleted, and the list is retried with backoff capped at
 *   `crdRetryMaxMs` (default 30 s) until the CRD appears.
 * - an optional resource (Secrets) that the API server forbids (403) counts as empty and synced the same way, with
 *   what goes without it said in the log; objects known before are kept.
 * - `synced` turns true once the first list has been applied (ListWatch asks for the watch right after).
 * - a resource's `fieldSelector` goes on lists and watches, and its `reduce` cuts every object down (or out) as it
 *   arrives, before ListWatch caches it.
 */
import type { KubeConfig, ListWatch as ListWatchType } from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../../core/log.js';
import type { KubeObject } from '../../core/kube.js';
import type { KubeClient } from './client.js';
import { collectionPath, resourceName, type KubeResource } from './resources.js';
import { backoffDelay, WatchTransport, type TransportStats } from './transport.js';

export type InformerEvent = 'add' | 'update' | 'delete';

export interface InformerOptions {
  client: KubeClient;
  resource: KubeResource;
  /** Receives every object change, with apiVersion/kind set. Relists emit only the differences. */
  onEvent: (type: InformerEvent, obj: KubeObject) => void;
  /** Called once, when the first list has been applied (or the CRD was found missing). */
  onSynced?: () => void;
  log?: Logger;
  /** No watch traffic for this long → restart the watch (default 180 s; bookmarks arrive about every minute). */
  idleMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  crdRetryMaxMs?: number;
  /** Server-side watch timeout floor (seconds). */
  minWatchTimeoutSeconds?: number;
  /** Items per list page (default 500). */
  pageSize?: number;
}

export type InformerState = 'starting' | 'listing' | 'watching' | 'backoff' | 'crd-missing' | 'forbidden' | 'stopped';

export interface InformerStatus {
  resource: string;
  state: InformerState;
  synced: boolean;
  objects: number;
  lists: number;
  restarts: number;
  resourceVersion: string;
  lastError?: string;
  watch: TransportStats;
}

interface ListResult {
  items: KubeObject[];
  metadata: { resourceVersion?: string };
}

/** Thrown by the list function so the ERROR handler can tell a missing CRD from other failures. */
class ListError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

export class Informer {
  readonly name: string;
  private readonly log: Logger;
  private lw: ListWatchType<any> | undefined;
  private transport: WatchTransport | undefined;
  private state: InformerState = 'starting';
  private syncedOnce = false;
  private listApplied = false;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private lists = 0;
  private restarts = 0;
  private lastError: string | undefined;
  /** The CRD was found missing (logged once until a list succeeds). */
  /** The kind is absent for now (its CRD missing, or an optional resource forbidden): empty, synced, retried. */
  private crdMissing = false;
  private lastStats: TransportStats = { watches: 0, events: 0, bookmarks: 0, stalls: 0, failures: 0, skipped: 0 };
  private ListWatch: typeof ListWatchType | undefined;

  constructor(private readonly o: InformerOptions) {
    this.name = resourceName(o.resource);
    this.log = (o.log ?? silentLogger).child({ informer: this.name });
  }

  get synced(): boolean {
    return this.syncedOnce;
  }

  /** Objects currently known (ListWatch's cache). */
  list(): readonly KubeObject[] {
    return this.lw?.list() ?? [];
  }

  /** One object from ListWatch's cache. */
  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.lw?.get(name, namespace);
  }

  async start(): Promise<void> {
    this.ListWatch ??= (await import('@kubernetes/client-node')).ListWatch;
    if (this.stopped) return;
    this.fresh();
  }

  stop(): void {
    this.stopped = true;
    this.state = 'stopped';
    if (this.retry) clearTimeout(this.retry);
    this.transport?.close();
    void this.lw?.stop();
  }

  status(): InformerStatus {
    return {
      resource: this.name,
      state: this.state,
      synced: this.syncedOnce,
      objects: this.list().length,
      lists: this.lists,
      restarts: this.restarts,
      resourceVersion: this.lw?.latestResourceVersion() ?? '',
      ...(this.lastError ? { lastError: this.lastError } : {}),
      watch: { ...(this.transport?.stats ?? this.lastStats) },
    };
  }

  /** A new ListWatch with an empty cache (first start, and after a missing CRD). */
  private fresh(): void {
    const r = this.o.resource;
    const kc: KubeConfig = this.o.client.config;
    if (this.transport) this.lastStats = { ...this.transport.stats };
    const transport = new WatchTransport({
      kc,
      idleMs: this.o.idleMs ?? 180_000,
      minTimeoutSeconds: this.o.minWatchTimeoutSeconds,
      backoff: this.o.backoff,
      onWatchStart: () => {
        if (this.stopped) return;
        this.state = 'watching';
        if (this.listApplied) {
          this.listApplied = false;
          this.markSynced();
        }
      },
      onEvent: () => {
        this.failures = 0;
      },
      reduce: r.reduce,
      onEnd: (reason, err) => {
        if (reason === 'stall') this.log.warn({ idleMs: this.o.idleMs }, 'watch stalled (nothing received); restarting it');
        else if (reason === 'gone') this.log.info('watch expired (410 Gone); relisting');
        else if (reason === 'error') this.log.debug({ err: err?.message }, 'watch ended with an error');
      },
    });
    // ListWatch sends the field selector on its watches; listAll() sends it on lists.
    const lw = new this.ListWatch!<any>(collectionPath(r), transport as never, () => this.listAll(), false, undefined, r.fieldSelector);
    const emit = (type: InformerEvent) => (obj: KubeObject) => {
      if (lw === this.lw && !this.stopped) this.deliver(type, obj);
    };
    lw.on('add', emit('add'));
    lw.on('update', emit('update'));
    lw.on('delete', emit('delete'));
    lw.on('error', (err: unknown) => {
      if (lw === this.lw) this.onError(err);
    });
    const old = this.lw;
    this.lw = lw;
    this.transport = transport;
    if (old) {
      // Everything the old cache knew is gone (its CRD disappeared): tell the store.
      for (const obj of old.list()) this.deliver('delete', obj);
      void old.stop();
    }
    if (!this.crdMissing) this.state = 'listing';
    this.launch(lw);
  }

  /** Hands a change to the consumer; a consumer's bug must not break the informer (ListWatch would stop mid-list). */
  private deliver(type: InformerEvent, obj: KubeObject): void {
    try {
      this.o.onEvent(type, withKind(obj, this.o.resource));
    } catch (e) {
      this.log.error({ err: (e as Error).message, name: obj?.metadata?.name }, `${this.name}: applying a change failed`);
    }
  }

  /** ListWatch.start(), whose rejections (none expected) must not become unhandled. */
  private launch(lw: ListWatchType<any>): void {
    lw.start().catch((e: unknown) => this.onError(e));
  }

  private markSynced(): void {
    if (this.syncedOnce) return;
    this.syncedOnce = true;
    this.log.debug({ objects: this.list().length }, 'initial list applied');
    this.o.onSynced?.();
  }

  /** The whole collection, page by page; items get apiVersion/kind. */
  private async listAll(): Promise<ListResult> {
    const r = this.o.resource;
    const items: KubeObject[] = [];
    let resourceVersion: string | undefined;
    let cont: string | undefined;
    const limit = this.o.pageSize ?? 500;
    do {
      const q = new URLSearchParams({ limit: String(limit) });
      if (r.fieldSelector) q.set('fieldSelector', r.fieldSelector);
      if (cont) q.set('continue', cont);
      const res = await this.o.client.get(`${collectionPath(r)}?${q}`);
      if (res.status === 410 && cont) {
        // The continue token expired mid-pagination: start over.
        items.length = 0;
        cont = undefined;
        resourceVersion = undefined;
        continue;
      }
      if (res.status !== 200 || !res.body || !Array.isArray(res.body.items)) {
        throw new ListError(`list ${this.name}: ${res.status === 200 ? 'not a list' : res.message}`, res.status);
      }
      resourceVersion ??= res.body.metadata?.resourceVersion;
      for (const item of res.body.items) {
        if (typeof item?.metadata?.name !== 'string' || item.metadata.name === '') {
          this.log.warn(`${this.name}: skipped a list item without metadata.name`);
          continue;
        }
        // Reduced page by page: at most one page of whole objects is ever held.
        const obj = r.reduce ? r.reduce(item) : withKind(item, r);
        if (obj) items.push(obj);
      }
      cont = typeof res.body.metadata?.continue === 'string' && res.body.metadata.continue !== '' ? res.body.metadata.continue : undefined;
    } while (cont);
    this.lists += 1;
    this.failures = 0;
    if (this.crdMissing) this.log.info(this.state === 'forbidden' ? `${this.name}: allowed now; listing it` : `${this.name}: CRD installed; listing it`);
    this.crdMissing = false;
    this.listApplied = true;
    this.lastError = undefined;
    return { items, metadata: { resourceVersion } };
  }

  private onError(err: unknown): void {
    if (this.stopped) return;
    const e = err as { message?: string; statusCode?: number };
    const message = e?.message ?? String(err);
    if (e?.statusCode === 404 && this.o.resource.crd) {
      const first = !this.crdMissing;
      this.crdMissing = true;
      this.state = 'crd-missing';
      this.lastError = `${message} (CRD not installed: treated as empty)`;
      if (first) this.log.warn(`${this.name}: CRD not installed; treated as empty and retried`);
      // A watch answering 404 means the CRD went away: whatever was known of it is gone too.
      const known = this.list().length > 0 || !(e instanceof ListError);
      this.markSynced();
      const delay = Math.min(this.o.crdRetryMaxMs ?? 30_000, backoffDelay(this.failures++, { initialMs: this.o.backoff?.initialMs ?? 100, maxMs: this.o.crdRetryMaxMs ?? 30_000 }));
      this.schedule(delay, known);
      return;
    }
    if (e?.statusCode === 403 && this.o.resource.optional) {
      // Permissions an install may lack (Secrets without manifests/workload-certs): what depends on them is off,
      // the rest of the mesh is served. Objects known before are kept (a permission glitch must not drop them).
      const first = this.state !== 'forbidden';
      this.crdMissing = true;
      this.state = 'forbidden';
      this.lastError = `${message} (forbidden: treated as empty; ${this.o.resource.optional})`;
      if (first) this.log.warn({ err: message }, `${this.name}: forbidden; treated as empty and retried: ${this.o.resource.optional}`);
      this.markSynced();
      this.schedule(Math.min(this.o.crdRetryMaxMs ?? 30_000, backoffDelay(this.failures++, { initialMs: this.o.backoff?.initialMs ?? 100, maxMs: this.o.crdRetryMaxMs ?? 30_000 })), false);
      return;
    }
    this.lastError = message;
    this.state = 'backoff';
    const delay = backoffDelay(this.failures++, this.o.backoff);
    this.log.warn({ err: message, retryInMs: delay }, `${this.name}: list/watch failed; restarting`);
    this.schedule(delay, false);
  }

  /** Restarts after `delay`: resuming the watch (ListWatch.start keeps the resourceVersion) or with a fresh cache. */
  private schedule(delay: number, freshCache: boolean): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.stopped) return;
      this.restarts += 1;
      if (freshCache) return this.fresh();
      if (!this.crdMissing) this.state = this.lw?.latestResourceVersion() ? 'watching' : 'listing';
      if (this.lw) this.launch(this.lw);
    }, delay);
    this.retry.unref?.();
  }
}

/** A copy of `obj` with the resource's apiVersion/kind, and without managedFields (large, never read). */
export function withKind(obj: any, r: Pick<KubeResource, 'apiVersion' | 'kind'>): KubeObject {
  const metadata = { ...(obj?.metadata ?? {}) };
  delete metadata.managedFields;
  return { ...obj, apiVersion: r.apiVersion, kind: r.kind, metadata };
}
