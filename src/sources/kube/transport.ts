/**
 * The watch transport behind our informers: a drop-in for client-node's `Watch` (same `watch(path, query,
 * callback, done)` contract, so client-node's ListWatch keeps doing the caching, relisting and diffing) that adds
 * what a control plane needs and the library lacks:
 *
 * - `allowWatchBookmarks=true`, and a server-side `timeoutSeconds` (random in [min, 2·min), as client-go does),
 *   so quiet resources still see traffic and the resourceVersion stays fresh;
 * - a stall detector: no byte for `idleMs` (before or after the response headers) ends the watch cleanly, and
 *   ListWatch reconnects from its last resourceVersion (no relist unless the server answers 410);
 * - an ERROR event ends the watch at once: code 410 cleanly (ListWatch has cleared its resourceVersion and
 *   relists), any other code as an error (the supervisor restarts with backoff);
 * - `done` is always called asynchronously and at most once, and never after ListWatch aborted the watch itself
 *   (client-node's Watch reports its own abort as an error, which would make the informer stop);
 * - watches that end cleanly at once and empty, over and over, are spaced out with backoff;
 * - with `reduce`, each object is cut down before ListWatch caches it (Secrets: to their credential keys).
 */
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type ClientRequest } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { requestOptions } from './client.js';

export type WatchCallback = (phase: string, apiObj: any, watchObj?: any) => void;
export type DoneCallback = (err: any) => void;

export interface TransportStats {
  watches: number;
  events: number;
  bookmarks: number;
  /** Watches ended because nothing arrived for idleMs. */
  stalls: number;
  /** Watches that ended with an error (network, HTTP status, ERROR event). */
  failures: number;
  /** Events skipped as malformed (no object, no metadata, a bookmark without resourceVersion …). */
  skipped: number;
  lastEventAt?: string;
  lastError?: string;
}

export interface TransportOptions {
  kc: KubeConfig;
  /** Nothing received for this long → the watch is restarted from its last resourceVersion. */
  idleMs: number;
  /** Server-side watch timeout floor in seconds (default 300; the actual value is random in [min, 2·min)). */
  minTimeoutSeconds?: number;
  /** Backoff for repeated empty watches (defaults 100 ms doubling to 5 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** Called when a watch request is about to be made (ListWatch calls watch() right after applying a list). */
  onWatchStart?: () => void;
  /** Called for every event received (any type), before the callback. */
  onEvent?: (type: string) => void;
  /** Called when a watch ends: null for a clean end, else the error. */
  onEnd?: (reason: 'clean' | 'stall' | 'gone' | 'error', err?: Error) => void;
  /**
   * Applied to the object of every ADDED, MODIFIED and DELETED event before ListWatch sees it, so its cache keeps
   * only what this returns; undefined turns the event into a DELETED of the object's identity (ListWatch reports
   * that only for an object it knew: an update that reduces to nothing is a delete).
   */
  reduce?: (obj: any) => any;
}

/** An Error carrying an HTTP status (`statusCode`), or a Status code (`code`) as ListWatch expects for 410. */
export class WatchError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly code?: number,
  ) {
    super(message);
  }
}

export class WatchTransport {
  readonly stats: TransportStats = { watches: 0, events: 0, bookmarks: 0, stalls: 0, failures: 0, skipped: 0 };
  private quickEnds = 0;
  private closed = false;

  constructor(private readonly o: TransportOptions) {}

  /** No more watches: any new watch() returns an already aborted controller. */
  close(): void {
    this.closed = true;
  }

  async watch(path: string, queryParams: Record<string, unknown>, callback: WatchCallback, done: DoneCallback): Promise<AbortController> {
    const controller = new AbortController();
    this.o.onWatchStart?.();
    if (this.closed) {
      controller.abort();
      return controller;
    }
    this.stats.watches += 1;
    let finished = false;
    let req: ClientRequest | undefined;
    let idle: NodeJS.Timeout | undefined;
    let gotEvent = false;
    const startedAt = Date.now();

    const finish = (reason: 'clean' | 'stall' | 'gone' | 'error', err: Error | null): void => {
      if (finished) return;
      finished = true;
      if (idle) clearTimeout(idle);
      req?.destroy();
      if (reason === 'error') {
        this.stats.failures += 1;
        this.stats.lastError = err?.message;
      }
      if (reason === 'clean' && !gotEvent && Date.now() - startedAt < 1000) this.quickEnds += 1;
      else if (gotEvent || reason !== 'clean') this.quickEnds = 0;
      this.o.onEnd?.(reason, err ?? undefined);
      setImmediate(() => done(err));
    };
    controller.signal.addEventListener('abort', () => {
      // ListWatch stopped or replaced this watch: end quietly, it already knows.
      finished = true;
      if (idle) clearTimeout(idle);
      req?.destroy();
    });
    const arm = (): void => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => {
        this.stats.stalls += 1;
        finish('stall', null);
      }, this.o.idleMs);
      idle.unref?.();
    };

    const delay = this.quickEnds > 0 ? backoffDelay(this.quickEnds - 1, this.o.backoff) : 0;
    void (async () => {
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (finished) return;
      let prepared: Awaited<ReturnType<typeof requestOptions>>;
      try {
        prepared = await requestOptions(this.o.kc, path);
      } catch (e) {
        return finish('error', e as Error);
      }
      if (finished) return;
      const { url, options } = prepared;
      for (const [k, v] of Object.entries(queryParams)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
      url.searchParams.set('watch', 'true');
      url.searchParams.set('allowWatchBookmarks', 'true');
      const min = this.o.minTimeoutSeconds ?? 300;
      url.searchParams.set('timeoutSeconds', String(min + Math.floor(Math.random() * min)));
      arm();
      const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
      req = send(url, { ...options, method: 'GET', headers: { ...(options.headers as Record<string, string>), accept: 'application/json' } }, (res) => {
        arm();
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            let message = `HTTP ${res.statusCode}`;
            try {
              const s = JSON.parse(raw);
              if (typeof s?.message === 'string') message = `${res.statusCode}: ${s.message}`;
            } catch {
              // not a Status object
            }
            finish(res.statusCode === 410 ? 'gone' : 'error', new WatchError(message, res.statusCode));
          });
          res.on('error', (e) => finish('error', e));
          return;
        }
        let buffered = '';
        const line = (text: string): void => {
          if (finished || text.trim() === '') return;
          let ev: any;
          try {
            ev = JSON.parse(text);
          } catch {
            return finish('error', new WatchError(`watch ${path}: undecodable event: ${text.slice(0, 120)}`));
          }
          const type = String(ev?.type ?? '');
          this.stats.events += 1;
          this.stats.lastEventAt = new Date().toISOString();
          gotEvent = true;
          const problem = malformed(type, ev?.object);
          if (problem) {
            // ListWatch would throw on it (or forget its resourceVersion): skip, count, go on.
            this.stats.skipped += 1;
            this.stats.lastError = `watch ${path}: skipped a malformed ${type || 'untyped'} event: ${problem}`;
            return;
          }
          if (type === 'BOOKMARK') this.stats.bookmarks += 1;
          this.o.onEvent?.(type);
          try {
            if (this.o.reduce && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')) {
              const kept = this.o.reduce(ev.object);
              const phase = kept === undefined ? 'DELETED' : type;
              const object = kept ?? identity(ev.object);
              callback(phase, object, { type: phase, object });
            } else callback(type, ev.object, ev);
          } catch (e) {
            this.stats.skipped += 1;
            this.stats.lastError = `watch ${path}: applying a ${type} event failed: ${(e as Error).message}`;
          }
          if (type === 'ERROR') {
            const code = Number(ev?.object?.code);
            const msg = `watch ${path}: ${ev?.object?.message ?? 'ERROR event'}`;
            // 410: ListWatch has just cleared its resourceVersion; a clean end makes it relist.
            if (code === 410) finish('gone', null);
            else finish('error', new WatchError(msg, undefined, Number.isFinite(code) ? code : undefined));
          }
        };
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (finished) return;
          arm();
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const text = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            line(text);
          }
        });
        res.on('end', () => {
          line(buffered);
          finish('clean', null);
        });
        res.on('aborted', () => finish('error', new WatchError(`watch ${path}: connection closed mid-stream`)));
        res.on('error', (e) => finish('error', e));
        res.on('close', () => finish('error', new WatchError(`watch ${path}: connection closed mid-stream`)));
      });
      req.on('error', (e) => finish('error', e));
      req.end();
    })();
    return controller;
  }
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why an event cannot be handed to ListWatch, or undefined when it can. */
export function malformed(type: string, object: unknown): string | undefined {
  if (!['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'].includes(type)) return `unknown type "${type}"`;
  if (!isObject(object)) return 'object is not an object';
  if (type === 'ERROR') return undefined;
  if (!isObject(object.metadata)) return 'object.metadata is not an object';
  if (type === 'BOOKMARK') return typeof object.metadata.resourceVersion === 'string' && object.metadata.resourceVersion !== '' ? undefined : 'no metadata.resourceVersion';
  return typeof object.metadata.name === 'string' && object.metadata.name !== '' ? undefined : 'no metadata.name';
}

/** An object's apiVersion, kind and identifying metadata, nothing else (what a reduced-away object leaves). */
function identity(object: Record<string, any>): { apiVersion?: string; kind?: string; metadata: Record<string, unknown> } {
  const m = object.metadata as Record<string, unknown>;
  const metadata: Record<string, unknown> = { name: m.name };
  for (const k of ['namespace', 'resourceVersion', 'uid'] as const) if (m[k] !== undefined) metadata[k] = m[k];
  return { apiVersion: object.apiVersion, kind: object.kind, metadata };
}

/** 100 ms doubling to 5 s by default: attempt 0 → initial. */
export function backoffDelay(attempt: number, b: { initialMs: number; maxMs: number } = { initialMs: 100, maxMs: 5000 }): number {
  return Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt, 30));
}
