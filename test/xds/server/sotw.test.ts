import { expect } from 'chai';
import { Registry } from 'prom-client';
import * as grpc from '@grpc/grpc-js';
import { TypeUrls } from '../../../src/core/constants.js';
import { certMetadata } from '../../../src/bootstrap/envoy.js';
import { startServer, node, type Harness } from './harness.js';
import { defaultGenerators } from '../../../src/xds/server/index.js';
import { pod, service, smallMesh } from './fixtures.js';

const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';
const RATINGS = 'outbound|9080||ratings.default.svc.cluster.local';
const DETAILS = 'outbound|9080||details.default.svc.cluster.local';
const names = (r: { resources: Array<Record<string, unknown>> }, field = 'name'): string[] => r.resources.map((x) => x[field] as string).sort();

describe('ADS state of the world', () => {
  let h: Harness;
  let registry: Registry;
  beforeEach(async () => {
    registry = new Registry();
    h = await startServer(smallMesh(), { registry });
  });
  afterEach(async () => h.close());

  it('answers wildcard CDS and LDS with the complete sets, and ACKs make the proxy SYNCED', async () => {
    const c = h.connect();
    c.send({ node: node('productpage'), type_url: TypeUrls.cluster });
    const cds = await c.next();
    expect(cds.type_url).to.equal(TypeUrls.cluster);
    expect(names(cds)).to.include.members([RATINGS, REVIEWS, 'PassthroughCluster']);
    expect(cds.version_info).to.not.equal('');
    expect(cds.nonce).to.not.equal('');
    c.ack(cds);
    c.send({ type_url: TypeUrls.listener });
    const lds = await c.next();
    expect(names(lds)).to.include.members(['virtualOutbound', 'virtualInbound', '0.0.0.0_9080']);
    c.ack(lds);
    await h.server.settled();
    const [sync] = h.server.debug.syncz!({}) as any[];
    expect(sync.id).to.equal(node('productpage').id);
    expect(sync.types.cds).to.include({ status: 'SYNCED', sentVersion: cds.version_info, ackedVersion: cds.version_info, nonce: cds.nonce });
    expect(sync.types.lds.status).to.equal('SYNCED');
    expect(await registry.getSingleMetricAsString('pilot_xds')).to.match(/pilot_xds 1/);
  });

  it('answers named EDS and RDS with just the named resources, and a new name with the full named set', async () => {
    const c = h.connect();
    c.send({ node: node('productpage'), type_url: TypeUrls.endpoint, resource_names: [REVIEWS] });
    const eds = await c.next();
    expect(names(eds, 'cluster_name')).to.deep.equal([REVIEWS]);
    c.ack(eds, [REVIEWS, RATINGS]);
    const eds2 = await c.next();
    expect(names(eds2, 'cluster_name')).to.deep.equal([RATINGS, REVIEWS]);
    c.send({ type_url: TypeUrls.route, resource_names: ['9080', 'no-such-route'] });
    const rds = await c.next();
    expect(names(rds)).to.deep.equal(['9080']);
  });

  it('resolves proxyless gRPC LDS names in the node namespace', async () => {
    const c = h.connect();
    c.send({ node: node('client', 'default', { GENERATOR: 'grpc' }), type_url: TypeUrls.listener, resource_names: ['reviews:9080'] });
    const lds = await c.next();
    expect(names(lds)).to.deep.equal(['reviews:9080']);
  });

  it('a NACK keeps the last good version, is counted and shows in syncz; no resend', async () => {
    const c = h.connect();
    c.send({ node: node('productpage'), type_url: TypeUrls.cluster });
    const v1 = await c.next();
    c.ack(v1);
    await h.server.settled();
    h.store.setSource('more', [service('details')]);
    const v2 = await c.next();
    expect(names(v2)).to.include(DETAILS);
    c.send({ type_url: TypeUrls.cluster, version_info: v1.version_info, response_nonce: v2.nonce, error_detail: { code: 3, message: 'cluster details: bad thing' } });
    await h.server.settled();
    const [sync] = h.server.debug.syncz!({}) as any[];
    expect(sync.types.cds.status).to.equal('NACKED');
    expect(sync.types.cds.ackedVersion).to.equal(v1.version_info);
    expect(sync.types.cds.lastNack).to.include({ message: 'cluster details: bad thing', version: v2.version_info, nonce: v2.nonce });
    expect(await registry.getSingleMetricAsString('pilot_total_xds_rejects')).to.match(/pilot_total_xds_rejects\{type="cds"\} 1/);
    expect(c.pending).to.equal(0);
  });

  it('ignores a request with a stale nonce', async () => {
    const c = h.connect();
    c.send({ node: node('productpage'), type_url: TypeUrls.endpoint, resource_names: [REVIEWS] });
    const v1 = await c.next();
    h.store.upsert('more', pod('reviews-v3', 'reviews', '10.1.0.9', { version: 'v3' }));
    const v2 = await c.next();
    // The proxy answers v1 late, asking for another name: stale, ignored (no response, no subscription change).
    c.send({ type_url: TypeUrls.endpoint, response_nonce: v1.nonce, resource_names: [REVIEWS, RATINGS] });
    c.ack(v2, [REVIEWS]);
    await h.server.settled();
    expect(c.pending).to.equal(0);
    const [sync] = h.server.debug.syncz!({}) as any[];
    expect(sync.types.eds).to.include({ status: 'SYNCED', ackedVersion: v2.version_info });
    expect(sync.types.eds.subscribed).to.deep.equal([REVIEWS]);
  });

  it('answers an unknown type URL with an empty response and keeps the stream working', async () => {
    const c = h.connect();
    c.send({ node: node('productpage'), type_url: 'type.googleapis.com/example.Unknown', resource_names: ['x'] });
    const r = await c.next();
    expect(r.type_url).to.equal('type.googleapis.com/example.Unknown');
    expect(r.resources).to.deep.equal([]);
    c.ack(r, ['x']);
    c.send({ type_url: TypeUrls.cluster });
    expect(names(await c.next())).to.include(REVIEWS);
  });

  it('answers SDS with the file-mounted secrets a sidecar with certificates names, and only those', async () => {
    const certs = certMetadata('/etc/certs');
    const c = h.connect();
    c.send({ node: node('productpage', 'default', certs), type_url: TypeUrls.secret, resource_names: ['file-root:/etc/certs/root-cert.pem', 'kubernetes://not-served'] });
    const sds = await c.next();
    expect(sds.type_url).to.equal(TypeUrls.secret);
    expect(sds.resources).to.deep.equal([{ name: 'file-root:/etc/certs/root-cert.pem', validation_context: { trusted_ca: { filename: '/etc/certs/root-cert.pem' }, watched_directory: { path: '/etc/certs' } } }]);
    c.ack(sds, ['file-root:/etc/certs/root-cert.pem', 'file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem']);
    expect(names(await c.next())).to.deep.equal(['file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem', 'file-root:/etc/certs/root-cert.pem']);
    // The clusters it gets use them.
    c.send({ type_url: TypeUrls.cluster });
    const cds = await c.next();
    const reviews = cds.resources.find((r) => r.name === REVIEWS) as any;
    expect(reviews.transport_socket_matches.map((m: any) => m.name)).to.deep.equal(['tlsMode-istio', 'tlsMode-disabled']);
    // A sidecar without certificates gets no secrets.
    const plain = h.connect();
    plain.send({ node: node('details'), type_url: TypeUrls.secret, resource_names: ['file-root:/etc/certs/root-cert.pem'] });
    expect((await plain.next()).resources).to.deep.equal([]);
  });

  const refused: Array<{ name: string; req: Record<string, unknown>; details: RegExp }> = [
    { name: 'no node', req: { type_url: TypeUrls.cluster }, details: /invalid xDS node: node.id: required/ },
    { name: 'malformed node id', req: { node: { id: 'not-an-istio-id' }, type_url: TypeUrls.cluster }, details: /invalid xDS node: node.id: "not-an-istio-id" is not of the form/ },
    { name: 'unknown proxy type', req: { node: { id: 'waypoint~1.2.3.4~a.b~b.svc.cluster.local' }, type_url: TypeUrls.cluster }, details: /must be sidecar or router/ },
    { name: 'no type URL', req: { node: node('a') }, details: /type_url is required/ },
  ];
  for (const t of refused) {
    it(`closes the stream with INVALID_ARGUMENT: ${t.name}`, async () => {
      const c = h.connect();
      c.send(t.req);
      const status = await c.ended();
      expect(status.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(status.details).to.match(t.details);
      // The server is unharmed.
      const ok = h.connect();
      ok.send({ node: node('b'), type_url: TypeUrls.cluster });
      expect(names(await ok.next())).to.include(REVIEWS);
    });
  }

  it('cleans up clients that vanish mid-stream and keeps serving', async () => {
    const gone = h.connect();
    gone.send({ node: node('gone'), type_url: TypeUrls.cluster });
    await gone.next();
    expect(h.server.connections()).to.have.length(1);
    gone.cancel();
    while (h.server.connections().length > 0) await new Promise((r) => setTimeout(r, 5));
    expect(await registry.getSingleMetricAsString('pilot_xds')).to.match(/pilot_xds 0/);
    h.store.setSource('more', [service('details')]); // a push with nobody to push to
    await h.server.settled();
    const c = h.connect();
    c.send({ node: node('next'), type_url: TypeUrls.cluster });
    expect(names(await c.next())).to.include(DETAILS);
  });

  it('removes a deleted cluster by omitting it from the full CDS set', async () => {
    const c = h.connect();
    c.send({ node: node('productpage'), type_url: TypeUrls.cluster });
    c.ack(await c.next());
    h.store.setSource('test', smallMesh().filter((o) => o.metadata.name !== 'ratings' && o.metadata.name !== 'ratings-v1'));
    const r = await c.next();
    expect(names(r)).to.include(REVIEWS);
    expect(names(r)).to.not.include(RATINGS);
  });

  it('pushes an endpoint change as EDS only, and only to the proxies watching that cluster', async () => {
    const watchers = [h.connect(), h.connect()];
    const other = h.connect();
    const subscribe = async (c: ReturnType<Harness['connect']>, pod: string, eds: string[]) => {
      c.send({ node: node(pod), type_url: TypeUrls.cluster });
      c.ack(await c.next());
      c.send({ type_url: TypeUrls.endpoint, resource_names: eds });
      c.ack(await c.next(), eds);
    };
    await subscribe(watchers[0]!, 'a', [REVIEWS, RATINGS]);
    await subscribe(watchers[1]!, 'b', [REVIEWS]);
    await subscribe(other, 'c', [RATINGS]);
    await h.server.settled();
    h.store.upsert('more', pod('reviews-v3', 'reviews', '10.1.0.9', { version: 'v3' }));
    for (const w of watchers) {
      const r = await w.next();
      expect(r.type_url).to.equal(TypeUrls.endpoint);
      expect(names(r, 'cluster_name')).to.deep.equal([REVIEWS]);
      const addrs = JSON.stringify(r.resources[0]);
      expect(addrs).to.contain('10.1.0.9');
      w.ack(r, w === watchers[0] ? [REVIEWS, RATINGS] : [REVIEWS]);
    }
    await h.server.settled();
    for (const c of [...watchers, other]) expect(c.pending).to.equal(0);
  });

  it("an endpoint change that moves a proxy to another scope (its own pod's labels) pushes it the listeners of that scope", async () => {
    // A proxy without LABELS metadata is known by its IP: its labels are its pod's, so its pod decides its scope.
    const c = h.connect();
    c.send({ node: { ...node('reviews-v1'), id: 'sidecar~10.1.0.1~reviews-v1.default~default.svc.cluster.local' }, type_url: TypeUrls.listener });
    const before = await c.next();
    c.ack(before);
    await h.server.settled();
    const inbound = (r: { resources: Array<Record<string, unknown>> }) => JSON.stringify(r.resources.find((l) => l.name === 'virtualInbound') ?? {});
    expect(inbound(before)).to.contain('inbound|9080||');
    // The pod leaves the reviews service: listeners are not affected by endpoint changes in general (the type is
    // kept for every scope), but this proxy's scope changed, so it gets the listeners of its new scope.
    h.store.upsert('more', pod('reviews-v1', 'elsewhere', '10.1.0.1', { version: 'v1' }));
    const after = await c.next();
    expect(after.type_url).to.equal(TypeUrls.listener);
    expect(after.version_info).to.not.equal(before.version_info);
    expect(inbound(after)).to.not.equal(inbound(before));
    c.ack(after);
    await h.server.settled();
    expect(c.pending).to.equal(0);
  });

  it('debounces a burst of changes into one push', async () => {
    const c = h.connect();
    c.send({ node: node('productpage'), type_url: TypeUrls.cluster });
    c.ack(await c.next());
    await h.server.settled();
    for (let i = 0; i < 5; i++) h.store.upsert('burst', service(`burst-${i}`));
    const r = await c.next();
    expect(names(r)).to.include.members([0, 1, 2, 3, 4].map((i) => `outbound|9080||burst-${i}.default.svc.cluster.local`));
    c.ack(r);
    await h.server.settled();
    expect(c.pending).to.equal(0);
  });

  it('encodes each distinct resource once across proxies and scopes', async () => {
    const before = h.server.stats().encodes;
    for (const ns of ['default', 'other', 'third']) {
      const c = h.connect();
      c.send({ node: node('p', ns), type_url: TypeUrls.cluster });
      c.ack(await c.next());
    }
    await h.server.settled();
    expect(h.server.stats().scopes).to.equal(3);
    const cds = (h.server.debug.config_dump!({ proxy: 'p.default', type: 'clusters' }) as any).configs[0].resources.length;
    expect(h.server.stats().encodes - before).to.equal(cds);
  });
});

describe('ADS with a failing generator', () => {
  it('logs, keeps the stream, and answers once generation works again', async () => {
    let broken = true;
    const generators = {
      ...defaultGenerators,
      generate: (...args: Parameters<typeof defaultGenerators.generate>) => {
        if (broken && args[2] === TypeUrls.listener) throw new Error('generator bug');
        return defaultGenerators.generate(...args);
      },
    };
    const h = await startServer(smallMesh(), { generators });
    try {
      const c = h.connect();
      c.send({ node: node('productpage'), type_url: TypeUrls.listener });
      c.send({ type_url: TypeUrls.cluster });
      const cds = await c.next();
      expect(cds.type_url).to.equal(TypeUrls.cluster);
      c.ack(cds);
      broken = false;
      h.store.setSource('more', [service('details')]);
      const rs = [await c.next(), await c.next()];
      expect(rs.map((r) => r.type_url).sort()).to.deep.equal([TypeUrls.cluster, TypeUrls.listener].sort());
    } finally {
      await h.close();
    }
  });
});
