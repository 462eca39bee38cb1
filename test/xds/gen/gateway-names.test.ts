import { expect } from 'chai';
import { resolveGatewayName } from '../../../src/model/hosts.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { GATEWAY, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

/** A Gateway in istio-system, and a VirtualService of `default` that names it as `ref` (in spec.gateways and in its match). */
const world = (ref: string) => [
  ...bookinfo(),
  ...yamlObjects(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge, namespace: istio-system }
spec: { selector: { istio: ingressgateway }, servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: shop, namespace: default }
spec:
  hosts: [shop.example.com]
  gateways: ["${ref}"]
  http:
  - match: [{ uri: { prefix: /api }, gateways: ["${ref}"] }]
    route: [{ destination: { host: reviews } }]
  - route: [{ destination: { host: productpage } }]`),
];

const routesOn = (ref: string): string[] => {
  const routes = generate(buildSnapshot(world(ref)), proxy(GATEWAY), TypeUrls.route);
  expectValid(TypeUrls.route, routes);
  const table = byName(routes, 'http.8080');
  return table.virtual_hosts.flatMap((v: any) => v.routes.map((r: any) => `${v.name} ${r.match.prefix} ${r.route.cluster.split('|')[3].split('.')[0]}`));
};

describe('VirtualService gateway references, as istiod resolves them', () => {
  it('resolveGatewayName: mesh, ns/name, ./name, a bare name, the legacy name.ns[.svc…] form', () => {
    const table: Array<[string, string]> = [
      ['mesh', 'mesh'],
      ['istio-system/edge', 'istio-system/edge'],
      ['./edge', 'default/edge'],
      ['edge', 'default/edge'],
      ['edge.istio-system', 'istio-system/edge'],
      ['edge.istio-system.svc.cluster.local', 'istio-system/edge'],
    ];
    for (const [ref, want] of table) expect(resolveGatewayName(ref, 'default'), ref).to.equal(want);
  });

  it('a VirtualService naming the gateway in the legacy FQDN form binds to it, its matches too', () => {
    const want = ['shop.example.com:8080 /api reviews', 'shop.example.com:8080 / productpage'];
    expect(routesOn('istio-system/edge')).to.deep.equal(want);
    expect(routesOn('edge.istio-system.svc.cluster.local')).to.deep.equal(want);
    expect(routesOn('edge.istio-system')).to.deep.equal(want);
  });

  it('a name that resolves to another Gateway binds to nothing', () => {
    expect(routesOn('edge.default.svc.cluster.local')).to.deep.equal([]);
    expect(routesOn('edge')).to.deep.equal([]);
  });
});
