/**
 * The mesh config's discoverySelectors, as istiod applies them, seen in what a sidecar gets: the Services,
 * endpoints and VirtualServices of a namespace the selectors leave out are absent from its clusters, endpoints and
 * routes, and appear once the namespace is labelled into the selection (and go again when it is labelled out).
 */
import { expect } from 'chai';
import { buildSnapshot, updateSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { objectKey, type KubeObject } from '../../../src/core/kube.js';
import type { Snapshot } from '../../../src/model/types.js';
import { PRODUCTPAGE, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';
import { edit } from '../../support/objects.js';

const SHOP = yamlObjects(`
apiVersion: v1
kind: Namespace
metadata: { name: default, labels: { istio-discovery: enabled } }
---
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { team: shop } }
---
apiVersion: v1
kind: Service
metadata: { name: cart, namespace: shop }
spec: { clusterIP: 10.96.7.7, selector: { app: cart }, ports: [{ name: http, port: 8080 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: cart-1, namespace: shop, labels: { app: cart } }
spec: { containers: [{ name: app }] }
status: { phase: Running, podIP: 10.244.7.1, conditions: [{ type: Ready, status: 'True' }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews-timeout, namespace: shop }
spec:
  hosts: [reviews.default.svc.cluster.local]
  http: [{ timeout: 7s, route: [{ destination: { host: reviews.default.svc.cluster.local } }] }]
`);

const CART = 'outbound|8080||cart.shop.svc.cluster.local';
const SHOP_KEY = objectKey(SHOP[1]!);
const labelled = (objs: KubeObject[]): KubeObject[] => edit(objs, 'Namespace', 'shop', (n) => (n.metadata.labels['istio-discovery'] = 'enabled'));

function options(mesh: Record<string, unknown>) {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return snapshotOptions(r.value);
}
const SELECTED = options({ discoverySelectors: [{ matchLabels: { 'istio-discovery': 'enabled' } }] });

/** What productpage's sidecar gets of the shop namespace: the cart cluster, its endpoints, the reviews route's timeout. */
function seen(snap: Snapshot): { cluster: boolean; endpoints: string[]; reviewsTimeout: unknown } {
  const p = proxy(PRODUCTPAGE);
  const clusters = generate(snap, p, TypeUrls.cluster);
  const endpoints = generate(snap, p, TypeUrls.endpoint, [CART]);
  const routes = generate(snap, p, TypeUrls.route);
  for (const [t, rs] of [[TypeUrls.cluster, clusters], [TypeUrls.endpoint, endpoints], [TypeUrls.route, routes]] as const) expectValid(t, rs);
  const cla = endpoints.find((e) => e.name === CART)?.resource as any;
  const vh = byName(routes, '9080').virtual_hosts.find((v: any) => v.name === 'reviews.default.svc.cluster.local:9080');
  return {
    cluster: clusters.some((c) => c.name === CART),
    endpoints: (cla?.endpoints ?? []).flatMap((l: any) => l.lb_endpoints.map((e: any) => e.endpoint.address.socket_address.address)),
    reviewsTimeout: vh.routes[0].route.timeout,
  };
}
const SHOP_SEEN = { cluster: true, endpoints: ['10.244.7.1'], reviewsTimeout: { seconds: 7, nanos: 0 } };

describe("mesh config: Istio's discoverySelectors in the generated xDS", () => {
  it('without selectors, the shop namespace is served (the fixture shows what the selectors take away)', () => {
    expect(seen(buildSnapshot([...bookinfo(), ...SHOP], options({})))).to.deep.equal(SHOP_SEEN);
  });

  it('a namespace the selectors leave out: no cluster, no endpoints, its VirtualService not applied', () => {
    const s = seen(buildSnapshot([...bookinfo(), ...SHOP], SELECTED));
    expect(s.cluster).to.equal(false);
    expect(s.endpoints).to.deep.equal([]);
    expect(s.reviewsTimeout).to.not.deep.equal(SHOP_SEEN.reviewsTimeout);
  });

  it('labelled into the selection, without a rebuild of the input: served; labelled out again: gone', () => {
    const before = [...bookinfo(), ...SHOP];
    const prev = buildSnapshot(before, SELECTED);
    const after = labelled(before);
    const next = updateSnapshot(prev, after, [SHOP_KEY], SELECTED);
    expect(seen(next)).to.deep.equal(SHOP_SEEN);
    const back = updateSnapshot(next, before, [SHOP_KEY], SELECTED);
    expect(seen(back)).to.deep.equal(seen(prev));
    expect(back.version).to.equal(prev.version);
  });

  it('the discovered namespace needs its Namespace object: without one, even Bookinfo is not served', () => {
    const noDefault = [...bookinfo(), ...SHOP.filter((o) => !(o.kind === 'Namespace' && o.metadata.name === 'default'))];
    const snap = buildSnapshot(noDefault, SELECTED);
    expect([...snap.services.keys()].filter((h) => h.endsWith('.default.svc.cluster.local'))).to.deep.equal([]);
    expect(generate(snap, proxy(PRODUCTPAGE), TypeUrls.cluster).map((c) => c.name)).to.not.include('outbound|9080||reviews.default.svc.cluster.local');
  });
});
