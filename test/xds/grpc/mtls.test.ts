/**
 * Mesh mTLS for real: xDS-enabled gRPC servers and grpc-js-xds clients whose certificates come from mizzen's mesh
 * CA (workload certificates in Istio's file layout, read by the bootstrap's file_watcher provider) and whose TLS
 * settings come only from mizzen: a DestinationRule with ISTIO_MUTUAL, a PeerAuthentication STRICT, and an
 * AuthorizationPolicy on peer identities, which only mTLS makes known.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { KubeObject } from '../../../src/core/kube.js';
import { kubePod, kubeService } from '../../../src/demo/objects.js';
import { hello, startXdsBackend, type Backend } from '../../../src/demo/echo.js';
import { generateMeshCa, issueWorkloadCert, writeWorkloadCert, type KeyPair } from '../../../src/certs/index.js';
import { eventually, startMesh, type Mesh } from '../../support/mesh.js';
import { freePort } from '../../support/ports.js';
import { scratchDir } from '../../support/tmp.js';
import { sample } from './bookinfo.js';

const object = (apiVersion: string, kind: string, name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion, kind, metadata: { name, namespace: 'default' }, spec });
const STRICT = object('security.istio.io/v1', 'PeerAuthentication', 'secure', { selector: { matchLabels: { app: 'secure' } }, mtls: { mode: 'STRICT' } });
const ISTIO_MUTUAL = (host: string) => object('networking.istio.io/v1', 'DestinationRule', host, { host, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
const ONLY_PRODUCTPAGE = object('security.istio.io/v1', 'AuthorizationPolicy', 'only-productpage', {
  selector: { matchLabels: { app: 'secure' } },
  rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/productpage'] } }] }],
});

describe('real gRPC clients and servers: mesh mTLS', function () {
  this.timeout(60_000);
  const dir = scratchDir('mizzen-mtls-');
  let mesh: Mesh;
  let secure: Backend;
  let impostor: Backend;
  let reviews: Backend;
  const certs: Record<string, string> = {};
  const SECURE = 'secure.default.svc.cluster.local:9080';
  const IMPOSTOR = 'impostor.default.svc.cluster.local:9080';

  /** A workload certificate directory for service account `sa` of `default`, signed by `ca`. */
  const issue = async (ca: KeyPair, sa: string, name = sa): Promise<string> => {
    const d = join(dir, name);
    writeWorkloadCert(d, await issueWorkloadCert(ca, { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: sa }));
    return d;
  };

  before(async () => {
    const [meshCa, otherCa] = await Promise.all([generateMeshCa(), generateMeshCa('elsewhere')]);
    for (const sa of ['secure', 'productpage', 'reviews']) certs[sa] = await issue(meshCa, sa);
    certs.outsider = await issue(otherCa, 'productpage', 'outsider');
    mesh = await startMesh([{ service: 'plain', version: 'v1', ip: '127.0.0.81' }]);
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    await mesh.apply(
      [
        kubeService({ name: 'secure', port: 9080, targetPort: p1 }),
        kubePod({ name: 'secure-1', ip: '127.0.0.82', app: 'secure', version: 'v1', serviceAccount: 'secure' }),
        // Its pod runs as `impostor`, but the server presents the certificate of `reviews`.
        kubeService({ name: 'impostor', port: 9080, targetPort: p2 }),
        kubePod({ name: 'impostor-1', ip: '127.0.0.83', app: 'impostor', version: 'v1', serviceAccount: 'impostor' }),
        kubeService({ name: 'reviews', port: 9080, targetPort: p3 }),
        kubePod({ name: 'reviews-v1', ip: '127.0.0.84', app: 'reviews', version: 'v1', serviceAccount: 'bookinfo-reviews' }),
      ],
      'servers',
    );
    secure = await startXdsBackend({ service: 'secure', version: 'v1', ip: '127.0.0.82' }, p1, mesh.bootstrap('default', { app: 'secure' }, certs.secure));
    impostor = await startXdsBackend({ service: 'impostor', version: 'v1', ip: '127.0.0.83' }, p2, mesh.bootstrap('default', { app: 'impostor' }, certs.reviews));
    certs['bookinfo-reviews'] = await issue(meshCa, 'bookinfo-reviews');
    reviews = await startXdsBackend({ service: 'reviews', version: 'v1', ip: '127.0.0.84' }, p3, mesh.bootstrap('default', { app: 'reviews', version: 'v1' }, certs['bookinfo-reviews']));
  });
  after(async () => {
    await secure?.close();
    await impostor?.close();
    await reviews?.close();
    await mesh?.close();
  });

  const settles = (client: ReturnType<Mesh['client']>, what: string, ok: (r: Awaited<ReturnType<typeof hello>>) => boolean) =>
    eventually(what, async () => {
      const r = await hello(client, { deadlineMs: 3000 });
      return ok(r) ? r : undefined;
    });

  it('ISTIO_MUTUAL and STRICT: the call goes over mTLS and the server sees the client’s SPIFFE identity', async () => {
    await mesh.apply([STRICT, ISTIO_MUTUAL('secure'), ISTIO_MUTUAL('impostor')]);
    const r = await settles(mesh.client(SECURE, 'default', certs.productpage), 'an mTLS reply', (x) => x.reply?.peer !== undefined);
    expect(r.reply).to.include({ service: 'secure', peer: 'spiffe://cluster.local/ns/default/sa/productpage' });
  });

  it('a client without mesh certificates refuses the mTLS cluster: it fails, it never calls in plaintext', async () => {
    const before = secure.calls;
    const r = await hello(mesh.client(SECURE), { deadlineMs: 3000 });
    expect(r.code).to.equal(grpc.status.UNAVAILABLE);
    expect(secure.calls).to.equal(before);
  });

  it('a client whose certificate another CA signed is refused by the STRICT server', async () => {
    const before = secure.calls;
    const r = await hello(mesh.client(SECURE, 'default', certs.outsider), { deadlineMs: 3000 });
    expect(r.code).to.equal(grpc.status.UNAVAILABLE);
    expect(secure.calls).to.equal(before);
  });

  it('a server presenting another identity than its pods’ service account is refused by the client', async () => {
    const before = impostor.calls;
    const r = await hello(mesh.client(IMPOSTOR, 'default', certs.productpage), { deadlineMs: 3000 });
    expect(r.code).to.equal(grpc.status.UNAVAILABLE);
    expect(impostor.calls).to.equal(before);
  });

  it('an AuthorizationPolicy on principals admits productpage and refuses reviews, both mesh identities', async () => {
    await mesh.apply([STRICT, ISTIO_MUTUAL('secure'), ONLY_PRODUCTPAGE]);
    const reviews = mesh.client(SECURE, 'default', certs.reviews);
    const denied = await settles(reviews, 'reviews denied', (x) => x.code === grpc.status.PERMISSION_DENIED);
    expect(denied.reply).to.equal(undefined);
    const allowed = await hello(mesh.client(SECURE, 'default', certs.productpage), { deadlineMs: 3000 });
    expect(allowed.reply?.peer).to.equal('spiffe://cluster.local/ns/default/sa/productpage');
  });

  it('STRICT without ISTIO_MUTUAL: plaintext clients cannot reach the server; DISABLE lets them back in', async () => {
    await mesh.apply([STRICT]);
    const plain = mesh.client(SECURE, 'default', certs.productpage);
    const before = secure.calls;
    const r = await settles(plain, 'plaintext refused', (x) => x.code === grpc.status.UNAVAILABLE);
    expect(r.reply).to.equal(undefined);
    expect(secure.calls).to.equal(before);
    await mesh.apply([{ ...STRICT, spec: { ...STRICT.spec, mtls: { mode: 'DISABLE' } } }]);
    const back = await settles(plain, 'a plaintext reply', (x) => x.code === grpc.status.OK);
    expect(back.reply).to.not.have.property('peer');
  });

  it("Bookinfo's destination-rule-all-mtls.yaml and virtual-service-all-v1.yaml, unchanged, under STRICT: reviews v1 over mTLS", async () => {
    const strictReviews = { ...STRICT, metadata: { name: 'reviews', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'reviews' } }, mtls: { mode: 'STRICT' } } };
    await mesh.apply([strictReviews, ...sample('destination-rule-all-mtls.yaml', 'virtual-service-all-v1.yaml')]);
    const r = await settles(mesh.client('reviews.default.svc.cluster.local:9080', 'default', certs.productpage), 'reviews over mTLS', (x) => x.reply?.peer !== undefined);
    expect(r.reply).to.include({ service: 'reviews', version: 'v1', peer: 'spiffe://cluster.local/ns/default/sa/productpage' });
  });
});
