/**
 * The Sidecar resource's egress scope: which Sidecar applies to a proxy, what its hosts import and exclude, the
 * port of an egress listener, REGISTRY_ONLY, and the effect on every Envoy type and on proxyless gRPC.
 */
import { expect } from 'chai';
import { buildSnapshot, updateSnapshot } from '../../../src/model/snapshot.js';
import { objectKey } from '../../../src/core/kube.js';
import { generate } from '../../../src/xds/gen/index.js';
import { hostsOverlap, sidecarFor } from '../../../src/xds/gen/sidecar-scope.js';
import { ROOT_NAMESPACES, TypeUrls } from '../../../src/core/constants.js';
import type { Config } from '../../../src/model/types.js';
import { ENVOY_TYPES, PRODUCTPAGE, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const sidecar = (name: string, namespace: string, spec: Record<string, unknown>, creationTimestamp = '2024-01-01T00:00:00Z'): string =>
  JSON.stringify({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name, namespace, creationTimestamp }, spec });

/** Bookinfo (default namespace) plus an `other` namespace with a service of its own, plus the given documents. */
function world(...docs: string[]) {
  const other = `
apiVersion: v1
kind: Service
metadata: { name: billing, namespace: other }
spec: { clusterIP: 10.96.9.9, selector: { app: billing }, ports: [{ name: http, port: 8080 }, { name: http-admin, port: 9000 }] }`;
  return buildSnapshot([...bookinfo(), ...yamlObjects(other), ...docs.flatMap((d) => yamlObjects(d))]);
}

const clusterNames = (snap: ReturnType<typeof world>, id: string) => generate(snap, proxy(id), TypeUrls.cluster).map((r) => r.name).filter((n) => n.startsWith('outbound|'));
const cfg = (name: string, namespace: string, creationTimestamp: string, selector?: Record<string, string>): Config =>
  ({ kind: 'Sidecar', apiVersion: 'networking.istio.io/v1', name, namespace, labels: {}, annotations: {}, revision: 1, creationTimestamp, spec: selector ? { workloadSelector: { labels: selector } } : {} }) as Config;

describe('Sidecar egress scope', () => {
  it('chooses the Sidecar selecting the workload, then the namespace one, then the root namespace one; the oldest first', () => {
    const all = [
      cfg('ns-new', 'default', '2024-02-01T00:00:00Z'),
      cfg('ns-old', 'default', '2024-01-01T00:00:00Z'),
      cfg('reviews', 'default', '2024-03-01T00:00:00Z', { app: 'reviews' }),
      cfg('root', 'istio-system', '2024-01-01T00:00:00Z'),
      cfg('root-selecting', 'istio-system', '2023-01-01T00:00:00Z', { app: 'x' }),
    ];
    expect(sidecarFor(all, 'default', { app: 'reviews', version: 'v1' }, ROOT_NAMESPACES)?.name).to.equal('reviews');
    expect(sidecarFor(all, 'default', { app: 'ratings' }, ROOT_NAMESPACES)?.name).to.equal('ns-old');
    expect(sidecarFor(all, 'shop', { app: 'x' }, ROOT_NAMESPACES)?.name).to.equal('root');
    expect(sidecarFor(all.slice(0, 3), 'shop', {}, ROOT_NAMESPACES)).to.equal(undefined);
  });

  it('matches hosts as Istio does: equal, or covered by a wildcard either way', () => {
    expect(hostsOverlap('*', 'a.b')).to.equal(true);
    expect(hostsOverlap('*.example.com', 'api.example.com')).to.equal(true);
    expect(hostsOverlap('*.example.com', 'a.b.example.com')).to.equal(true);
    expect(hostsOverlap('api.example.com', '*.example.com')).to.equal(true);
    expect(hostsOverlap('*.example.com', 'example.com')).to.equal(false);
    expect(hostsOverlap('a.example.com', 'b.example.com')).to.equal(false);
  });

  it('with no Sidecar, a proxy sees every exported service', () => {
    const names = clusterNames(world(), PRODUCTPAGE);
    expect(names).to.include('outbound|8080||billing.other.svc.cluster.local');
    expect(names).to.include('outbound|9080||reviews.default.svc.cluster.local');
  });

  it('"./*" keeps the proxy to its own namespace: clusters, listeners, routes and endpoints', () => {
    const snap = world(sidecar('default', 'default', { egress: [{ hosts: ['./*'] }] }));
    const names = clusterNames(snap, PRODUCTPAGE);
    expect(names.some((n) => n.includes('billing.other'))).to.equal(false);
    expect(names).to.include('outbound|9080||reviews.default.svc.cluster.local');
    const listeners = generate(snap, proxy(PRODUCTPAGE), TypeUrls.listener).map((r) => r.name);
    expect(listeners).to.not.include('0.0.0.0_8080');
    const routes = generate(snap, proxy(PRODUCTPAGE), TypeUrls.route);
    expect(routes.map((r) => r.name)).to.not.include('8080');
    const endpoints = generate(snap, proxy(PRODUCTPAGE), TypeUrls.endpoint).map((r) => r.name);
    expect(endpoints.some((n) => n.includes('billing.other'))).to.equal(false);
    expect(generate(world(), proxy(PRODUCTPAGE), TypeUrls.endpoint).some((r) => r.name.includes('billing.other'))).to.equal(true);
    for (const t of ENVOY_TYPES) expectValid(t, generate(snap, proxy(PRODUCTPAGE), t));
  });

  it('imports by namespace and host, excludes with "~", and takes only the port of an egress listener that names one', () => {
    const snap = world(
      sidecar('default', 'default', {
        egress: [
          { hosts: ['./reviews.default.svc.cluster.local', './ratings.default.svc.cluster.local', '~*/ratings.default.svc.cluster.local'] },
          { port: { number: 9000, protocol: 'HTTP', name: 'admin' }, hosts: ['other/*'] },
        ],
      }),
    );
    expect(clusterNames(snap, PRODUCTPAGE).filter((n) => !n.includes('|v'))).to.deep.equal([
      'outbound|9000||billing.other.svc.cluster.local',
      'outbound|9080||reviews.default.svc.cluster.local',
    ]);
  });

  it('a Sidecar selecting reviews scopes reviews only; productpage keeps the namespace default', () => {
    const snap = world(sidecar('reviews-only', 'default', { workloadSelector: { labels: { app: 'reviews' } }, egress: [{ hosts: ['./ratings.default.svc.cluster.local'] }] }));
    expect(clusterNames(snap, REVIEWS_V1).filter((n) => !n.includes('|v'))).to.deep.equal(['outbound|9080||ratings.default.svc.cluster.local']);
    expect(clusterNames(snap, PRODUCTPAGE)).to.include('outbound|8080||billing.other.svc.cluster.local');
  });

  it('a root namespace Sidecar applies to every namespace, "." being the proxy own', () => {
    const snap = world(sidecar('default', 'istio-system', { egress: [{ hosts: ['./*'] }] }));
    expect(clusterNames(snap, PRODUCTPAGE).some((n) => n.includes('billing.other'))).to.equal(false);
    const billing = 'sidecar~10.244.1.5~billing-1.other~other.svc.cluster.local';
    expect(clusterNames(snap, billing).filter((n) => !n.includes('|v'))).to.deep.equal(['outbound|8080||billing.other.svc.cluster.local', 'outbound|9000||billing.other.svc.cluster.local']);
  });

  it('VirtualServices of namespaces outside the scope do not apply', () => {
    const vs = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews-from-other, namespace: other }
spec: { hosts: [reviews.default.svc.cluster.local], http: [{ route: [{ destination: { host: reviews.default.svc.cluster.local, subset: v2 } }] }] }`;
    const scoped = world(vs, sidecar('default', 'default', { egress: [{ hosts: ['./*'] }] }));
    const open = world(vs);
    const reviewsRoute = (snap: ReturnType<typeof world>) => {
      const rc = byName(generate(snap, proxy(PRODUCTPAGE), TypeUrls.route), '9080');
      return JSON.stringify(rc.virtual_hosts.find((v: { name: string }) => v.name === 'reviews.default.svc.cluster.local:9080').routes);
    };
    expect(reviewsRoute(open)).to.include('outbound|9080|v2|reviews.default.svc.cluster.local');
    expect(reviewsRoute(scoped)).to.not.include('|v2|');
    expect(reviewsRoute(scoped)).to.include('outbound|9080||reviews.default.svc.cluster.local');
    // Proxyless gRPC, the same.
    const grpc = proxy(PRODUCTPAGE, { GENERATOR: 'grpc' });
    const grpcRoute = (snap: ReturnType<typeof world>) => JSON.stringify(generate(snap, grpc, TypeUrls.route, ['reviews.default.svc.cluster.local:9080']));
    expect(grpcRoute(open)).to.include('outbound|9080|v2|reviews.default.svc.cluster.local');
    expect(grpcRoute(scoped)).to.not.include('|v2|');
  });

  it('REGISTRY_ONLY: unknown destinations go to the BlackHoleCluster (TCP) and get a 502 (HTTP)', () => {
    const snap = world(sidecar('default', 'default', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }));
    const vo = byName(generate(snap, proxy(PRODUCTPAGE), TypeUrls.listener), 'virtualOutbound');
    expect(JSON.stringify(vo.filter_chains)).to.include('BlackHoleCluster').and.not.include('PassthroughCluster');
    const rc = byName(generate(snap, proxy(PRODUCTPAGE), TypeUrls.route), '9080');
    expect(rc.virtual_hosts.at(-1)).to.deep.include({ name: 'block_all', domains: ['*'] });
    expect(rc.virtual_hosts.at(-1).routes[0].direct_response).to.deep.equal({ status: 502 });
    for (const t of ENVOY_TYPES) expectValid(t, generate(snap, proxy(PRODUCTPAGE), t));
    const open = byName(generate(world(), proxy(PRODUCTPAGE), TypeUrls.listener), 'virtualOutbound');
    expect(JSON.stringify(open.filter_chains)).to.include('PassthroughCluster');
  });

  it("ALLOW_ANY with an egressProxy: unknown destinations go to that proxy's cluster, TCP and HTTP alike, as istiod names it", () => {
    const snap = world(sidecar('default', 'default', { outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'istio-egressgateway.istio-system.svc.cluster.local', subset: 'v1', port: { number: 3128 } } } }));
    const egress = 'outbound|3128|v1|istio-egressgateway.istio-system.svc.cluster.local';
    const vo = byName(generate(snap, proxy(PRODUCTPAGE), TypeUrls.listener), 'virtualOutbound');
    expect(vo.filter_chains.map((c: any) => [c.name, c.filters[0].typed_config.cluster])).to.deep.equal([['virtualOutbound-catchall-tcp', egress]]);
    const rc = byName(generate(snap, proxy(PRODUCTPAGE), TypeUrls.route), '9080');
    expect(rc.virtual_hosts.at(-1).name).to.equal('allow_any');
    expect(rc.virtual_hosts.at(-1).routes[0].route.cluster).to.equal(egress);
    for (const t of ENVOY_TYPES) expectValid(t, generate(snap, proxy(PRODUCTPAGE), t));
  });

  it("a Sidecar's outboundTrafficPolicy without a mode is REGISTRY_ONLY (the API's zero value), whatever the mesh config says", () => {
    const snap = world(sidecar('default', 'default', { outboundTrafficPolicy: {} }));
    expect(JSON.stringify(byName(generate(snap, proxy(PRODUCTPAGE), TypeUrls.listener), 'virtualOutbound').filter_chains)).to.include('BlackHoleCluster');
  });

  it('scopes proxyless gRPC clients too', () => {
    const snap = world(sidecar('default', 'default', { egress: [{ hosts: ['./*'] }] }));
    const grpc = proxy(PRODUCTPAGE, { GENERATOR: 'grpc' });
    const names = generate(snap, grpc, TypeUrls.cluster).map((r) => r.name);
    expect(names.some((n) => n.includes('billing.other'))).to.equal(false);
    expect(names.some((n) => n.includes('reviews.default'))).to.equal(true);
    // Asked for by name, as gRPC clients do: nothing out of scope is answered.
    expect(generate(snap, grpc, TypeUrls.listener, ['billing.other.svc.cluster.local:8080', 'reviews:9080']).map((r) => r.name)).to.deep.equal(['reviews:9080']);
    expect(generate(snap, grpc, TypeUrls.cluster, ['outbound|8080||billing.other.svc.cluster.local'])).to.deep.equal([]);
    expect(generate(snap, grpc, TypeUrls.endpoint, ['outbound|8080||billing.other.svc.cluster.local'])).to.deep.equal([]);
    expect(generate(world(), grpc, TypeUrls.endpoint, ['outbound|8080||billing.other.svc.cluster.local'])).to.have.length(1);
  });

  it('a malformed Sidecar never throws: bad hosts are skipped, and no egress imports everything', () => {
    const snap = world(sidecar('default', 'default', { egress: [{ hosts: ['no-slash', 42, 'a/b/c'] }, { hosts: 'x' }] }));
    expect(() => ENVOY_TYPES.forEach((t) => generate(snap, proxy(PRODUCTPAGE), t))).to.not.throw();
    expect(clusterNames(snap, PRODUCTPAGE).filter((n) => n.startsWith('outbound|'))).to.deep.equal([]);
    expect(clusterNames(world(sidecar('default', 'default', {})), PRODUCTPAGE)).to.include('outbound|8080||billing.other.svc.cluster.local');
  });

  it('the mesh config outboundTrafficPolicy REGISTRY_ONLY applies where no Sidecar says otherwise', () => {
    const objects = [...bookinfo(), ...yamlObjects(sidecar('open', 'default', { workloadSelector: { labels: { app: 'reviews' } }, outboundTrafficPolicy: { mode: 'ALLOW_ANY' } }))];
    const snap = buildSnapshot(objects, { registryOnly: true });
    const catchAll = (id: string) => JSON.stringify(byName(generate(snap, proxy(id), TypeUrls.listener), 'virtualOutbound').filter_chains);
    expect(catchAll(PRODUCTPAGE)).to.include('BlackHoleCluster');
    expect(catchAll(REVIEWS_V1)).to.include('PassthroughCluster');
    expect(byName(generate(snap, proxy(PRODUCTPAGE), TypeUrls.route), '9080').virtual_hosts.at(-1).name).to.equal('block_all');
    expect(buildSnapshot(objects).version).to.not.equal(snap.version);
  });

  it('follows an edited Sidecar that carries no resourceVersion (a file), in an incremental snapshot that keeps the services', () => {
    const base = [...bookinfo(), ...yamlObjects(`
apiVersion: v1
kind: Service
metadata: { name: billing, namespace: other }
spec: { clusterIP: 10.96.9.9, selector: { app: billing }, ports: [{ name: http, port: 8080 }] }`)];
    const v1 = yamlObjects(sidecar('default', 'default', { egress: [{ hosts: ['./*'] }] }));
    const v2 = yamlObjects(sidecar('default', 'default', { egress: [{ hosts: ['*/*'] }] }));
    const first = buildSnapshot([...base, ...v1]);
    expect(clusterNames(first, PRODUCTPAGE).some((n) => n.includes('billing.other'))).to.equal(false);
    const second = updateSnapshot(first, [...base, ...v2], [objectKey(v2[0]!)]);
    expect(second.services, 'the services map is kept').to.equal(first.services);
    expect(clusterNames(second, PRODUCTPAGE).some((n) => n.includes('billing.other'))).to.equal(true);
  });
});
