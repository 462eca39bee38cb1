import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { kubePod } from '../../../src/demo/objects.js';
import { startBackend, type Backend } from '../../../src/demo/echo.js';
import { eventually, record, startMesh, tally, until, type Mesh, type Tally } from '../../support/mesh.js';
import { hello, type EchoClient } from '../../../src/demo/echo.js';
import { BOOKINFO, RATINGS, REVIEWS, pct, sample } from './bookinfo.js';

/** Calls in a loop (`concurrency` at a time) until stopped, tallying everything: a client that keeps running. */
function background(client: EchoClient, concurrency = 10): { tally: Tally; stop(): Promise<Tally> } {
  const t: Tally = { versions: {}, backends: {}, errors: {}, total: 0 };
  let running = true;
  const workers = Array.from({ length: concurrency }, async () => {
    while (running) record(t, await hello(client, { deadlineMs: 5000 }));
  });
  return {
    tally: t,
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return t;
    },
  };
}

describe('real gRPC clients: changes applied while clients run', function () {
  this.timeout(40_000);
  let mesh: Mesh;
  before(async () => {
    mesh = await startMesh([...BOOKINFO, { service: 'scale', version: 'v1', ip: '127.0.0.71' }], sample('destination-rule-all.yaml', 'virtual-service-reviews-90-10.yaml'));
  });
  after(async () => mesh?.close());

  it('a VirtualService edit (90/10 → 50/50 v1/v3) reaches running clients; no call fails on the way', async () => {
    const client = mesh.client(REVIEWS);
    await until(client, 'the 90/10 split in force', (r) => r.reply?.version === 'v2');
    const loop = background(client);
    await eventually('calls flowing', async () => (loop.tally.total > 50 ? true : undefined));
    await mesh.apply(sample('destination-rule-all.yaml', 'virtual-service-reviews-50-v3.yaml'));
    await until(client, 'v3 answering', (r) => r.reply?.version === 'v3');
    const during = await loop.stop();
    expect(during.errors).to.deep.equal({});
    const after = await tally(client, 2000, { concurrency: 100 });
    expect(after.errors).to.deep.equal({});
    expect(pct(after.versions.v1, after.total)).to.be.closeTo(50, 5);
    expect(pct(after.versions.v3, after.total)).to.be.closeTo(50, 5);
    expect(after.versions.v2 ?? 0).to.equal(0);
  });

  it('an endpoint added and then removed while a client runs: traffic follows, nothing fails', async () => {
    const client = mesh.client('scale.default.svc.cluster.local:9080');
    const first = mesh.backends.find((b) => b.ip === '127.0.0.71')!;
    const second: Backend = await startBackend({ service: 'scale', version: 'v1', ip: '127.0.0.72' }, mesh.port);
    try {
      await until(client, 'the first endpoint answering', (r) => r.reply?.backend === `127.0.0.71:${mesh.port}`);
      const loop = background(client);
      const pod2: KubeObject = kubePod({ name: 'scale-v1-extra', ip: '127.0.0.72', app: 'scale', version: 'v1' });
      await mesh.apply([...mesh.base, pod2], 'mesh');
      await eventually('the added endpoint serving', async () => (second.calls > 20 ? true : undefined));

      await mesh.apply([...mesh.base.filter((o) => !(o.kind === 'Pod' && o.status?.podIP === '127.0.0.71')), pod2], 'mesh');
      await eventually('the removed endpoint drained', async () => {
        const before = first.calls;
        const t = await tally(client, 50);
        return first.calls === before && t.backends[`127.0.0.72:${mesh.port}`] === 50 ? true : undefined;
      });
      const during = await loop.stop();
      expect(during.errors).to.deep.equal({});
      expect(Object.keys(during.backends).sort()).to.deep.equal([`127.0.0.71:${mesh.port}`, `127.0.0.72:${mesh.port}`]);
    } finally {
      await mesh.apply(mesh.base, 'mesh');
      await second.close();
    }
  });

  it('a Sidecar resource narrows what clients see: a service out of its scope cannot be reached until it is removed', async () => {
    const rules = sample('destination-rule-all.yaml', 'virtual-service-reviews-90-10.yaml');
    const sidecar: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: { name: 'default', namespace: 'default' },
      spec: { egress: [{ hosts: ['./reviews.default.svc.cluster.local'] }] },
    };
    await until(mesh.client(RATINGS), 'ratings answering before', (r) => r.reply?.version === 'v1');
    try {
      await mesh.apply([...rules, sidecar]);
      const out = await until(mesh.client(RATINGS), 'ratings out of scope', (r) => r.reply === undefined);
      expect(out.code).to.not.equal(undefined);
      await until(mesh.client(REVIEWS), 'reviews, in scope, answering', (r) => r.reply !== undefined);
    } finally {
      await mesh.apply(rules);
    }
    await until(mesh.client(RATINGS), 'ratings answering again', (r) => r.reply?.version === 'v1');
  });
});
