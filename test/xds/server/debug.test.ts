import { expect } from 'chai';
import { TypeUrls } from '../../../src/core/constants.js';
import { syncStatus } from '../../../src/xds/debug.js';
import { newWatch } from '../../../src/xds/server/connection.js';
import { startServer, node, type Harness } from './harness.js';
import { smallMesh } from './fixtures.js';

describe('xDS debug handlers', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startServer(smallMesh(), { configErrors: () => [{ file: 'x.yaml', message: 'bad' }] });
    const c = h.connect();
    c.send({ node: node('productpage-v1'), type_url: TypeUrls.cluster });
    c.ack(await c.next());
    await h.server.settled();
  });
  afterEach(async () => h.close());

  it('config_dump finds a proxy by id, pod.namespace or pod, and lists what it was sent', async () => {
    for (const key of [node('productpage-v1').id, 'productpage-v1.default', 'productpage-v1']) {
      const dump = h.server.debug.config_dump!({ proxy: key, type: 'clusters' }) as any;
      expect(dump.proxy).to.equal(node('productpage-v1').id);
      expect(dump.configs).to.have.length(1);
      expect(dump.configs[0].subscribed).to.equal(true);
      expect(dump.configs[0].resources.map((r: any) => r.name)).to.include('outbound|9080||reviews.default.svc.cluster.local');
    }
    const all = h.server.debug.config_dump!({ proxy: 'productpage-v1' }) as any;
    expect(all.configs.map((c: any) => c.typeUrl)).to.deep.equal([TypeUrls.cluster, TypeUrls.endpoint, TypeUrls.listener, TypeUrls.route]);
    expect(all.configs[1].subscribed).to.equal(false);
    expect(all.configs[1].resources).to.have.length(2);
  });

  it('config_dump shows the secrets a proxy with mesh certificates gets (file paths), none for one without', async () => {
    const certs = { TLS_SERVER_CERT_CHAIN: '/etc/certs/cert-chain.pem', TLS_SERVER_KEY: '/etc/certs/key.pem', TLS_SERVER_ROOT_CERT: '/etc/certs/root-cert.pem' };
    const c = h.connect();
    c.send({ node: node('reviews-v1', 'default', certs), type_url: TypeUrls.cluster });
    c.ack(await c.next());
    await h.server.settled();
    const dump = h.server.debug.config_dump!({ proxy: 'reviews-v1', type: 'secrets' }) as any;
    expect(dump.configs[0].typeUrl).to.equal(TypeUrls.secret);
    expect(dump.configs[0].resources.map((r: any) => r.name)).to.deep.equal(['file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem', 'file-root:/etc/certs/root-cert.pem']);
    expect(JSON.stringify(dump)).to.not.contain('BEGIN');
    expect((h.server.debug.config_dump!({ proxy: 'productpage-v1', type: 'sds' }) as any).configs[0].resources).to.deep.equal([]);
  });

  const errors: Array<{ q: Record<string, string>; error: RegExp }> = [
    { q: {}, error: /"proxy" is required/ },
    { q: { proxy: 'nobody' }, error: /no connected proxy "nobody"/ },
    { q: { proxy: 'productpage-v1', type: 'certificates' }, error: /unknown type "certificates": use clusters, listeners, routes, endpoints or secrets/ },
  ];
  for (const t of errors) {
    it(`config_dump explains: ${t.error.source}`, async () => {
      expect((h.server.debug.config_dump!(t.q) as any).error).to.match(t.error);
    });
  }

  it('configz lists the store and config errors; registryz the services with endpoints', async () => {
    const configz = h.server.debug.configz!({}) as any;
    expect(configz.objects).to.have.length(5);
    expect(configz.errors).to.deep.equal([{ file: 'x.yaml', message: 'bad' }]);
    const registryz = h.server.debug.registryz!({}) as any;
    const reviews = registryz.services.find((s: any) => s.name === 'reviews');
    expect(reviews.hostname).to.equal('reviews.default.svc.cluster.local');
    expect(reviews.endpoints.map((e: any) => e.address).sort()).to.deep.equal(['10.1.0.1', '10.1.0.2']);
  });

  it('syncStatus speaks istioctl', () => {
    const w = newWatch(TypeUrls.cluster);
    expect(syncStatus(undefined)).to.equal('NOT SENT');
    expect(syncStatus(w)).to.equal('NOT SENT');
    Object.assign(w, { responses: 1, sentVersion: 'v1', nonce: 'n1', pending: true });
    expect(syncStatus(w)).to.equal('STALE');
    Object.assign(w, { pending: false, ackedVersion: 'v1' });
    expect(syncStatus(w)).to.equal('SYNCED');
    w.nack = { version: 'v1', nonce: 'n1', message: 'x', code: 3, at: '' };
    expect(syncStatus(w)).to.equal('NACKED');
  });
});
