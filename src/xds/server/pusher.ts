/**
 * Timing of pushes: a debouncer that coalesces bursts of config changes (quiet period, bounded by a maximum
 * delay), and a push queue that pushes to many streams with bounded concurrency, one push per stream at a time.
 */

export interface DebounceOptions {
  /** Fire after this long without a new event. */
  quietMs: number;
  /** Fire at the latest this long after the first event of a burst. */
  maxMs: number;
}

export class Debouncer {
  private timer: NodeJS.Timeout | undefined;
  private first: number | undefined;
  private last = 0;

  constructor(
    private opts: DebounceOptions,
    /** Called with the time (ms since epoch) of the first event of the burst. */
    private readonly fire: (firstAt: number) => void,
  ) {}

  get pending(): boolean {
    return this.first !== undefined;
  }

  trigger(): void {
    const now = Date.now();
    this.first ??= now;
    this.last = now;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    const first = this.first!;
    const wait = Math.max(0, Math.min(this.last + this.opts.quietMs, first + this.opts.maxMs) - Date.now());
    this.timer = setTimeout(() => this.tick(), wait);
    this.timer.unref?.();
  }

  private tick(): void {
    this.timer = undefined;
    const first = this.first;
    if (first === undefined) return;
    const now = Date.now();
    if (now < this.last + this.opts.quietMs && now < first + this.opts.maxMs) {
      this.schedule();
      return;
    }
    this.first = undefined;
    this.fire(first);
  }

  /** New timings (a reloaded mesh config): a pending burst is timed by them from now on. */
  setOptions(opts: DebounceOptions): void {
    this.opts = opts;
    if (this.first !== undefined) this.schedule();
  }

  /** Fires now if a burst is pending (used on shutdown or by tests). */
  flush(): void {
    if (this.first === undefined) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const first = this.first;
    this.first = undefined;
    this.fire(first);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.first = undefined;
  }
}

/**
 * Pushes to keys (streams) with at most `concurrency` pushes in flight. A key queued twice is pushed once; a key
 * queued while its push runs is pushed again afterwards, so the latest state always goes out. A push that has
 * nothing to wait for (small responses) returns undefined and the next one starts in the same loop: a thousand
 * endpoint updates go out like one broadcast, not through a chain of promises.
 */
export class PushQueue<K> {
  private readonly queue = new Map<K, number | undefined>();
  private readonly running = new Set<K>();
  private readonly rerun = new Map<K, number | undefined>();
  private idleWaiters: Array<() => void> = [];
  /** Keys re-queued after a push that completed at once, on their way back (see finish). */
  private pending = 0;

  constructor(
    private readonly concurrency: number,
    /** Pushes to a key: a promise when it must be waited for, undefined when it is done already. */
    private readonly push: (key: K, origin: number | undefined) => Promise<void> | undefined,
  ) {}

  /** Queues a push; `origin` = when the change being pushed happened (the earliest one wins when coalescing). */
  enqueue(key: K, origin?: number): void {
    const target = this.running.has(key) ? this.rerun : this.queue;
    const prev = target.get(key);
    target.set(key, prev === undefined ? origin : origin === undefined ? prev : Math.min(prev, origin));
    this.pump();
  }

  /** Drops a key (its stream closed). */
  forget(key: K): void {
    this.queue.delete(key);
    this.rerun.delete(key);
  }

  get idle(): boolean {
    return this.queue.size === 0 && this.running.size === 0 && this.pending === 0;
  }

  get size(): number {
    return this.queue.size + this.running.size;
  }

  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.queue.size > 0) {
      const [key, origin] = this.queue.entries().next().value as [K, number | undefined];
      this.queue.delete(key);
      this.running.add(key);
      let p: Promise<void> | undefined;
      try {
        p = this.push(key, origin);
      } catch {
        p = undefined;
      }
      if (p) {
        p.catch(() => undefined).then(() => {
          this.finish(key, false);
          this.pump();
        });
      } else this.finish(key, true);
    }
    if (this.idle && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * A push is over: a key queued again meanwhile goes back in the queue (after a push that completed at once, on a
   * microtask, so a key re-queued by its own push cannot keep this loop going).
   */
  private finish(key: K, sync: boolean): void {
    this.running.delete(key);
    if (!this.rerun.has(key)) return;
    const o = this.rerun.get(key);
    this.rerun.delete(key);
    if (!sync) {
      this.queue.set(key, o);
      return;
    }
    this.pending += 1;
    queueMicrotask(() => {
      this.pending -= 1;
      this.enqueue(key, o);
    });
  }
}
