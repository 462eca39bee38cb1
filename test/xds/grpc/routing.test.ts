import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { hello, xdsClient } from '../../../src/demo/echo.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { startMesh, tally, until, type Mesh } from '../../support/mesh.js';
import { BOOKINFO, REVIEWS, pct, sample } from './bookinfo.js';

describe('real gRPC clients: routing (Bookinfo samples, unchanged)', function () {
  this.timeout(30_000);
  let mesh: Mesh;
  before(async () => {
    mesh = await startMesh(BOOKINFO, sample('destination-rule-all.yaml'));
  });
  after(async () => mesh?.close());

  it('default routing: without a VirtualService every reviews pod answers', async () => {
    const client = mesh.client(REVIEWS);
    const t = await tally(client, 300);
    expect(t.errors).to.deep.equal({});
    expect(Object.keys(t.versions).sort()).to.deep.equal(['v1', 'v2', 'v3']);
  });

  it('short names resolve in the client namespace: xds:///reviews:9080 and reviews.default:9080', async () => {
    for (const target of ['reviews:9080', 'reviews.default:9080', 'reviews.default.svc:9080']) {
      const r = await hello(mesh.client(target), { deadlineMs: 5000 });
      expect(r.code, `${target}: ${r.details}`).to.equal(grpc.status.OK);
      expect(r.reply!.service).to.equal('reviews');
    }
  });

  it('an unknown service fails (listener does not exist), it does not hang past its deadline unnoticed', async () => {
    const r = await hello(mesh.client('nope.default.svc.cluster.local:9080'), { deadlineMs: 1000 });
    expect(r.code).to.be.oneOf([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);
  });

  const splits: Array<{ file: string; want: Record<string, number> }> = [
    { file: 'virtual-service-reviews-90-10.yaml', want: { v1: 90, v2: 10 } },
    { file: 'virtual-service-reviews-50-v3.yaml', want: { v1: 50, v3: 50 } },
  ];
  for (const s of splits) {
    it(`${s.file}: the split holds within ±5 % over 2000 calls`, async () => {
      await mesh.apply(sample('destination-rule-all.yaml', s.file));
      const client = mesh.client(REVIEWS);
      const other = Object.keys(s.want).find((v) => v !== 'v1')!;
      await until(client, `a reply from ${other}`, (r) => r.reply?.version === other);
      const t = await tally(client, 2000, { concurrency: 100 });
      expect(t.errors).to.deep.equal({});
      for (const [v, share] of Object.entries(s.want)) expect(pct(t.versions[v], t.total), `${v}: ${JSON.stringify(t.versions)}`).to.be.closeTo(share, 5);
      expect(Object.keys(t.versions).sort()).to.deep.equal(Object.keys(s.want).sort());
    });
  }

  it('header-based routing (virtual-service-reviews-test-v2): end-user jason → v2, everyone else → v1', async () => {
    await mesh.apply(sample('destination-rule-all.yaml', 'virtual-service-reviews-test-v2.yaml'));
    const client = mesh.client(REVIEWS);
    await until(client, 'jason on v2', (r) => r.reply?.version === 'v2', { metadata: { 'end-user': 'jason' } });
    const jason = await tally(client, 200, { metadata: { 'end-user': 'jason' } });
    const others = await tally(client, 200, { metadata: { 'end-user': 'alice' } });
    const anonymous = await tally(client, 200);
    expect(jason.versions).to.deep.equal({ v2: 200 });
    expect(others.versions).to.deep.equal({ v1: 200 });
    expect(anonymous.versions).to.deep.equal({ v1: 200 });
  });

  it('delegation: a root VirtualService hands the jason rule to a delegate in another namespace; clients follow the merged routes', async () => {
    const root: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews-root', namespace: 'default' },
      spec: {
        hosts: ['reviews'],
        http: [
          { match: [{ headers: { 'end-user': { exact: 'jason' } } }], delegate: { name: 'reviews-jason', namespace: 'team' } },
          { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
        ],
      },
    };
    const delegate: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews-jason', namespace: 'team' },
      spec: { http: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local', subset: 'v3' } }] }] },
    };
    await mesh.apply([...sample('destination-rule-all.yaml'), root, delegate]);
    const client = mesh.client(REVIEWS);
    await until(client, 'jason on v3', (r) => r.reply?.version === 'v3', { metadata: { 'end-user': 'jason' } });
    const jason = await tally(client, 200, { metadata: { 'end-user': 'jason' } });
    const others = await tally(client, 200);
    expect(jason.versions).to.deep.equal({ v3: 200 });
    expect(others.versions).to.deep.equal({ v1: 200 });
  });

  it('merged DestinationRules: a canary subset defined in a second rule for reviews is routable beside the first rule’s subsets', async () => {
    const rule = (name: string, created: string, subsets: Array<Record<string, unknown>>): KubeObject => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name, namespace: 'default', creationTimestamp: created },
      spec: { host: 'reviews', subsets },
    });
    const split: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'default' },
      spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 50 }, { destination: { host: 'reviews', subset: 'canary' }, weight: 50 }] }] },
    };
    await mesh.apply([
      rule('reviews', '2026-01-01T00:00:00Z', [{ name: 'v1', labels: { version: 'v1' } }]),
      rule('reviews-canary', '2026-02-01T00:00:00Z', [{ name: 'canary', labels: { version: 'v3' } }, { name: 'v1', labels: { version: 'v2' } }]),
      split,
    ]);
    const client = mesh.client(REVIEWS);
    await until(client, 'the canary answering', (r) => r.reply?.version === 'v3');
    const t = await tally(client, 400);
    // v1 is the older rule's (version v1): the newer rule's v1 (version v2) never receives traffic.
    expect(Object.keys(t.versions).sort()).to.deep.equal(['v1', 'v3']);
    expect(t.total).to.equal(400);
  });

  it('a DestinationRule with a workloadSelector: the workloads it selects get its subset v1 (version v3), the others the shared rule’s', async () => {
    const rule = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: 'default' }, spec });
    const allV1: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'default' },
      spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] },
    };
    await mesh.apply([
      rule('reviews', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] }),
      rule('reviews-tester', { host: 'reviews', workloadSelector: { matchLabels: { app: 'tester' } }, subsets: [{ name: 'v1', labels: { version: 'v3' } }] }),
      allV1,
    ]);
    const tester = xdsClient(REVIEWS, mesh.bootstrap('default', { app: 'tester' }));
    try {
      await until(tester, 'the tester on v3', (r) => r.reply?.version === 'v3');
      expect((await tally(tester, 100)).versions).to.deep.equal({ v3: 100 });
      expect((await tally(mesh.client(REVIEWS), 100)).versions).to.deep.equal({ v1: 100 });
    } finally {
      tester.close();
    }
  });
});
