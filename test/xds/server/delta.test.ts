import { expect } from 'chai';
import { TypeUrls } from '../../../src/core/constants.js';
import { startServer, node, type Harness, type RawAds, type Response } from './harness.js';
import { pod, smallMesh } from './fixtures.js';

const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';
const RATINGS = 'outbound|9080||ratings.default.svc.cluster.local';
const ack = (c: RawAds, r: Response) => c.send({ type_url: r.type_url, response_nonce: r.nonce });

describe('ADS delta', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startServer(smallMesh());
  });
  afterEach(async () => h.close());

  it('wildcard CDS: every cluster with its version, then only removals and changes', async () => {
    const c = h.connect(true);
    c.send({ node: node('productpage'), type_url: TypeUrls.cluster });
    const first = await c.next();
    expect(first.names).to.include.members([RATINGS, REVIEWS]);
    expect(first.versions.every((v) => v.length > 0)).to.equal(true);
    ack(c, first);
    await h.server.settled();
    h.store.setSource('test', smallMesh().filter((o) => !o.metadata.name!.startsWith('ratings')));
    const removal = await c.next();
    expect(removal.resources).to.deep.equal([]);
    expect(removal.removed_resources).to.deep.equal([RATINGS]);
    ack(c, removal);
    await h.server.settled();
    expect(c.pending).to.equal(0);
  });

  it('named EDS: subscribe adds, unsubscribe drops, an endpoint change sends just that resource', async () => {
    const c = h.connect(true);
    c.send({ node: node('productpage'), type_url: TypeUrls.endpoint, resource_names_subscribe: [REVIEWS] });
    const r1 = await c.next();
    expect(r1.names).to.deep.equal([REVIEWS]);
    c.send({ type_url: TypeUrls.endpoint, response_nonce: r1.nonce, resource_names_subscribe: [RATINGS] });
    const r2 = await c.next();
    expect(r2.names).to.deep.equal([RATINGS]);
    ack(c, r2);
    c.send({ type_url: TypeUrls.endpoint, resource_names_unsubscribe: [RATINGS] });
    await h.server.settled();
    expect(c.pending).to.equal(0);
    h.store.upsert('more', pod('ratings-v2', 'ratings', '10.1.0.8'));
    h.store.upsert('more2', pod('reviews-v3', 'reviews', '10.1.0.9'));
    const r3 = await c.next();
    expect(r3.names).to.deep.equal([REVIEWS]);
    expect(JSON.stringify(r3.resources)).to.contain('10.1.0.9');
    ack(c, r3);
    await h.server.settled();
    const [sync] = h.server.debug.syncz!({}) as any[];
    expect(sync.stream).to.equal('delta');
    expect(sync.types.eds).to.include({ status: 'SYNCED' });
    expect(sync.types.eds.subscribed).to.deep.equal([REVIEWS]);
  });

  it('a reconnect with initial_resource_versions gets only what differs', async () => {
    const c1 = h.connect(true);
    c1.send({ node: node('productpage'), type_url: TypeUrls.cluster });
    const first = await c1.next();
    const versions = Object.fromEntries(first.names.map((n, i) => [n, first.versions[i]!]));
    c1.close();
    const c2 = h.connect(true);
    c2.send({ node: node('productpage'), type_url: TypeUrls.cluster, initial_resource_versions: { ...versions, [REVIEWS]: 'old', 'outbound|1||gone': 'x' } });
    const r = await c2.next();
    expect(r.names).to.deep.equal([REVIEWS]);
    expect(r.removed_resources).to.deep.equal(['outbound|1||gone']);
  });

  it('a NACK is recorded and the stream carries on', async () => {
    const c = h.connect(true);
    c.send({ node: node('productpage'), type_url: TypeUrls.cluster });
    const r = await c.next();
    c.send({ type_url: TypeUrls.cluster, response_nonce: r.nonce, error_detail: { code: 3, message: 'nope' } });
    await h.server.settled();
    const [sync] = h.server.debug.syncz!({}) as any[];
    expect(sync.types.cds.status).to.equal('NACKED');
    expect(sync.types.cds.lastNack.message).to.equal('nope');
    c.send({ type_url: 'type.googleapis.com/example.Unknown', resource_names_subscribe: ['x'] });
    const u = await c.next();
    expect(u.type_url).to.equal('type.googleapis.com/example.Unknown');
    expect(u.resources).to.deep.equal([]);
  });
});
