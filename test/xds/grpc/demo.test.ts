import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfigDir, runDemo } from '../../../src/demo/run.js';
import { formatWindow } from '../../../src/demo/traffic.js';
import { freePort } from '../../support/ports.js';


describe('make demo (traffic part, bounded)', function () {
  this.timeout(30_000);
  let dir: string;
  before(async () => {
    // A copy of examples/demo with free ports, so the test neither edits the real files nor needs 91xx free.
    dir = mkdtempSync(join(tmpdir(), 'mizzen-demo-test-'));
    cpSync(defaultConfigDir(), dir, { recursive: true });
    let pods = readFileSync(join(dir, 'pods.yaml'), 'utf8');
    for (const m of pods.match(/containerPort: \d+/g) ?? []) pods = pods.replace(m, `containerPort: ${await freePort()}`);
    writeFileSync(join(dir, 'pods.yaml'), pods);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the live split, and follows an edit of the VirtualService file', async () => {
    const lines: string[] = [];
    let edited = false;
    const vsFile = join(dir, 'virtual-service-reviews.yaml');
    const result = await runDemo({
      durationSec: 6,
      configDir: dir,
      xdsPort: 0,
      inject: false,
      rate: 150,
      out: (s) => {
        lines.push(s);
        // After the first window with traffic, send everyone to v3 by editing the file, as a user would.
        if (!edited && /^\[\s*\d+s\] reviews .*v1/.test(s)) {
          edited = true;
          writeFileSync(vsFile, readFileSync(vsFile, 'utf8').replace(/subset: v1\n(\s+)weight: 90/, 'subset: v3\n$1weight: 100').replace(/\n\s+- destination:\n\s+host: reviews\n\s+subset: v2\n\s+weight: 10/, ''));
        }
      },
    });
    const text = lines.join('');
    expect(text).to.match(/starting 5 xDS-enabled gRPC servers/);
    expect(edited, text).to.equal(true);
    const withTraffic = result.windows.filter((w) => w.total > 0);
    expect(withTraffic.length).to.be.greaterThan(2);
    expect(Object.keys(withTraffic[0]!.versions)).to.include('v1');
    const last = result.windows.at(-1)!;
    expect(last.versions, text).to.deep.equal({ v3: last.total });
    expect(result.windows.every((w) => Object.keys(w.errors).length === 0), text).to.equal(true);
    // Every call went over mesh mTLS (the demo's DestinationRules say ISTIO_MUTUAL, its PeerAuthentication STRICT).
    expect(withTraffic.every((w) => w.mtls === w.total), text).to.equal(true);
    expect(text).to.match(/calls\/s, mTLS 100%\)/);
    expect(text).to.include('spiffe://cluster.local/ns/default/sa/bookinfo-reviews');
  });

  it('formats a window', () => {
    expect(formatWindow('reviews', { versions: { v2: 10, v1: 90 }, errors: {}, total: 100 }, 1, 10)).to.equal('reviews  v1 █████████ 90.0%  v2 █ 10.0%   (100 calls/s)');
    expect(formatWindow('reviews', { versions: {}, errors: { UNAVAILABLE: 5 }, total: 5 }, 0.5)).to.equal('reviews  UNAVAILABLE 100.0%   (10 calls/s)');
    expect(formatWindow('reviews', { versions: {}, errors: {}, total: 0 }, 1)).to.equal('reviews  (no calls yet)');
    expect(formatWindow('reviews', { versions: { v1: 4 }, errors: { UNAVAILABLE: 1 }, total: 5, mtls: 4 }, 1, 10)).to.equal('reviews  v1 ████████ 80.0%  UNAVAILABLE 20.0%   (5 calls/s, mTLS 80%)');
  });
});
