/** coalesced(): calls during a run make one more run, not one each. */
import { expect } from 'chai';
import { coalesced } from '../../src/core/coalesce.js';

describe('coalesced', () => {
  it('runs once more after a run that was asked for again (however often), and every caller waits for that', async () => {
    let runs = 0;
    let release!: () => void;
    const f = coalesced(async () => {
      runs += 1;
      if (runs === 1) await new Promise<void>((r) => (release = r));
    });
    const first = f();
    const second = f();
    const third = f();
    expect(second).to.equal(first);
    expect(third).to.equal(first);
    release();
    await Promise.all([first, second, third]);
    expect(runs).to.equal(2);
    await f();
    expect(runs, 'a call after it settled runs it anew').to.equal(3);
  });

  it('a run that throws rejects its callers and does not block the next call', async () => {
    let fail = true;
    const f = coalesced(async () => {
      if (fail) throw new Error('boom');
    });
    let caught: unknown;
    await f().catch((e) => (caught = e));
    expect((caught as Error).message).to.equal('boom');
    fail = false;
    await f();
  });
});
