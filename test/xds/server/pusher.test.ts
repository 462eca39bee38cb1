import { expect } from 'chai';
import { Debouncer, PushQueue } from '../../../src/xds/server/pusher.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Debouncer', () => {
  it('coalesces a burst into one firing that carries the time of the first event', async () => {
    const fired: number[] = [];
    const d = new Debouncer({ quietMs: 20, maxMs: 10_000 }, (first) => fired.push(first));
    const start = Date.now();
    for (let i = 0; i < 10; i++) d.trigger();
    expect(d.pending).to.equal(true);
    while (fired.length === 0) await sleep(5);
    expect(fired).to.have.length(1);
    expect(fired[0]).to.be.within(start, start + 5);
    expect(d.pending).to.equal(false);
    d.close();
  });

  it('fires by the maximum delay while events keep coming', async () => {
    let fired = 0;
    const d = new Debouncer({ quietMs: 50, maxMs: 30 }, () => fired++);
    for (let i = 0; i < 40 && fired === 0; i++) {
      d.trigger();
      await sleep(5);
    }
    expect(fired).to.be.at.least(1);
    d.close();
  });

  it('flush fires now; close drops a pending burst', async () => {
    let fired = 0;
    const d = new Debouncer({ quietMs: 10_000, maxMs: 10_000 }, () => fired++);
    d.trigger();
    d.flush();
    expect(fired).to.equal(1);
    d.trigger();
    d.close();
    expect(d.pending).to.equal(false);
  });

  it('new timings (a reloaded mesh config) time a pending burst from then on', async () => {
    let fired = 0;
    const d = new Debouncer({ quietMs: 60_000, maxMs: 60_000 }, () => fired++);
    d.trigger();
    await sleep(20);
    expect(fired, 'held by the old timings').to.equal(0);
    d.setOptions({ quietMs: 10, maxMs: 1_000 });
    while (fired === 0) await sleep(5);
    expect(fired).to.equal(1);
    expect(d.pending).to.equal(false);
    d.close();
  });
});

describe('PushQueue', () => {
  it('bounds concurrency, pushes a key queued twice once, and re-pushes a key queued while running', async () => {
    let active = 0;
    let peak = 0;
    const pushed: string[] = [];
    const gates: Array<() => void> = [];
    const q = new PushQueue<string>(2, (key) => {
      active++;
      peak = Math.max(peak, active);
      pushed.push(key);
      return new Promise<void>((resolve) => gates.push(() => (active--, resolve())));
    });
    for (const k of ['a', 'b', 'c', 'a']) q.enqueue(k);
    expect(pushed).to.deep.equal(['a', 'b']);
    q.enqueue('a'); // queued while a runs: pushed once more afterwards
    while (!q.idle) {
      gates.shift()?.();
      await sleep(1);
    }
    expect(peak).to.equal(2);
    expect(pushed).to.deep.equal(['a', 'b', 'c', 'a']);
  });

  it('pushes that complete at once run in one loop, beyond the concurrency bound, and a key re-queued by its own push goes again', async () => {
    const pushed: string[] = [];
    let requeued = false;
    const q = new PushQueue<string>(2, (key) => {
      pushed.push(key);
      if (key === 'b' && !requeued) {
        requeued = true;
        q.enqueue('b');
      }
      return undefined;
    });
    for (const k of ['a', 'b', 'c', 'd']) q.enqueue(k);
    // All four went in the same turn although at most two may be in flight: none stayed in flight.
    expect(pushed).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(q.idle).to.equal(false); // b is on its way back
    await q.whenIdle();
    expect(pushed).to.deep.equal(['a', 'b', 'c', 'd', 'b']);
  });

  it('mixes pushes that complete at once with pushes that wait, within the bound', async () => {
    let active = 0;
    let peak = 0;
    const q = new PushQueue<number>(2, (k) => {
      if (k % 2 === 0) return undefined;
      active++;
      peak = Math.max(peak, active);
      return sleep(2).then(() => void active--);
    });
    for (let k = 0; k < 10; k++) q.enqueue(k);
    await q.whenIdle();
    expect(peak).to.equal(2);
    expect(q.idle).to.equal(true);
  });

  it('survives a push that throws or rejects', async () => {
    const q = new PushQueue<number>(1, (k) => (k === 1 ? Promise.reject(new Error('x')) : k === 2 ? (() => { throw new Error('y'); })() : Promise.resolve()));
    q.enqueue(1);
    q.enqueue(2);
    q.enqueue(3);
    await q.whenIdle();
    expect(q.idle).to.equal(true);
  });
});
