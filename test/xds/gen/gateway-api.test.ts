/**
 * What Envoy and proxyless gRPC receive for Gateway API routes attached to a Bookinfo Service: routes that match
 * whole path segments, a backend the route may not use answering 500, no cluster made for it, consumer routes
 * seen only from their namespace; all of it encodes and passes Envoy's validate rules.
 */
import { expect } from 'chai';
import { generate } from '../../../src/xds/gen/index.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { INVALID_BACKEND_HOST } from '../../../src/model/gateway-api.js';
import { GATEWAY, MYSQL_SERVICE, PRODUCTPAGE, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const ROUTE = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: reviews-canary, namespace: default }
spec:
  parentRefs: [{ group: '', kind: Service, name: reviews, port: 9080 }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /api/ } }]
    backendRefs:
    - { name: reviews, port: 9080, weight: 90 }
    - { name: ratings, port: 9080, weight: 5 }
    - { name: reviews, namespace: elsewhere, port: 9080, weight: 5 }
  - matches: [{ path: { type: PathPrefix, value: /blocked } }]
    filters: [{ type: ExtensionRef, extensionRef: { group: example.com, kind: Plugin, name: x } }]
    backendRefs: [{ name: reviews, port: 9080 }]
  - backendRefs: [{ name: reviews, port: 9080 }]
`;

const CONSUMER = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: reviews-for-team-a, namespace: team-a }
spec:
  parentRefs: [{ group: '', kind: Service, name: reviews, namespace: default }]
  rules: [{ backendRefs: [{ name: reviews, namespace: default, port: 9080 }], timeouts: { request: 3s } }]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: team-a-routes, namespace: default }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team-a }]
  to: [{ group: '', kind: Service }]
`;

const REVIEWS = 'reviews.default.svc.cluster.local:9080';
const cluster = (host: string, port = 9080) => `outbound|${port}||${host}`;

function reviewsRoutes(yaml: string, id = PRODUCTPAGE): any[] {
  const snap = buildSnapshot([...bookinfo(), ...yamlObjects(yaml)]);
  const routes = generate(snap, proxy(id), TypeUrls.route);
  expectValid(TypeUrls.route, routes);
  return byName(routes, '9080').virtual_hosts.find((v: any) => v.name === REVIEWS).routes;
}

describe('Envoy RDS from Gateway API routes', () => {
  it('prefixes match whole segments, a split keeps the share of a backend it may not use (500), an unapplied filter answers 500', () => {
    const routes = reviewsRoutes(ROUTE);
    // The longer prefix first, as the Gateway API orders them.
    expect(routes.map((r: any) => r.match)).to.deep.equal([{ path_separated_prefix: '/blocked' }, { path_separated_prefix: '/api' }, { prefix: '/' }]);
    const split = routes[1].route;
    expect(split.weighted_clusters.clusters.map((c: any) => [c.name, c.weight.value])).to.deep.equal([
      [cluster('reviews.default.svc.cluster.local'), 90],
      [cluster('ratings.default.svc.cluster.local'), 5],
      [cluster(INVALID_BACKEND_HOST, 1), 5], // another namespace, no ReferenceGrant
    ]);
    expect(split.cluster_not_found_response_code).to.equal('INTERNAL_SERVER_ERROR');
    expect(routes[0]).to.have.property('direct_response').that.deep.equals({ status: 500 });
    expect(routes[2].route).to.deep.include({ cluster: cluster('reviews.default.svc.cluster.local'), cluster_not_found_response_code: 'INTERNAL_SERVER_ERROR' });
  });

  it('no cluster is made for a backend the route may not use', () => {
    const snap = buildSnapshot([...bookinfo(), ...yamlObjects(ROUTE)]);
    const clusters = generate(snap, proxy(PRODUCTPAGE), TypeUrls.cluster).map((c) => c.name);
    expect(clusters).to.include(cluster('reviews.default.svc.cluster.local'));
    expect(clusters.filter((c) => c.includes(INVALID_BACKEND_HOST))).to.deep.equal([]);
  });

  it("a consumer route applies to its namespace's clients only; VirtualService prefixes keep Envoy's plain prefix", () => {
    const teamA = 'sidecar~10.244.9.9~client-1.team-a~team-a.svc.cluster.local';
    const pod = `
apiVersion: v1
kind: Pod
metadata: { name: client-1, namespace: team-a, labels: { app: client } }
spec: { containers: [{ name: app }] }
status: { phase: Running, podIP: 10.244.9.9, conditions: [{ type: Ready, status: 'True' }] }
`;
    const seen = reviewsRoutes(`${CONSUMER}\n---\n${pod}`, teamA);
    expect(seen).to.have.length(1);
    expect(seen[0].route).to.deep.include({ cluster: cluster('reviews.default.svc.cluster.local'), timeout: { seconds: 3, nanos: 0 } });
    const others = reviewsRoutes(`${CONSUMER}\n---\n${pod}`);
    expect(others.map((r: any) => r.name), 'productpage (default) sees the default route').to.deep.equal(['default']);
    const istio = reviewsRoutes(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec: { hosts: [reviews], http: [{ match: [{ uri: { prefix: /api } }], route: [{ destination: { host: reviews } }] }] }
`);
    expect(istio[0].match).to.deep.equal({ prefix: '/api' });
    expect(istio[0].route).to.not.have.property('cluster_not_found_response_code');
  });

  it('proxyless gRPC clients get a GRPCRoute as method paths', () => {
    const snap = buildSnapshot([
      ...bookinfo(),
      ...yamlObjects(`
apiVersion: v1
kind: Service
metadata: { name: echo }
spec: { selector: { app: echo }, ports: [{ name: grpc, port: 7070 }] }
---
apiVersion: v1
kind: Service
metadata: { name: echo-v2 }
spec: { selector: { app: echo, version: v2 }, ports: [{ name: grpc, port: 7070 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: echo }
spec:
  parentRefs: [{ group: '', kind: Service, name: echo }]
  rules:
  - matches: [{ method: { service: echo.Echo, method: Ping } }]
    backendRefs: [{ name: echo-v2, port: 7070 }]
  - backendRefs: [{ name: echo, port: 7070 }]
`),
    ]);
    const client = proxy('sidecar~10.244.0.16~productpage-v1-9c1a0f8e2-fghij.default~default.svc.cluster.local', { GENERATOR: 'grpc' });
    // The route configuration comes inline in the listener or by RDS; look through both for the routes.
    const found: any[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (o.match && o.route) found.push(o);
        Object.values(o).forEach(walk);
      }
    };
    walk([...generate(snap, client, TypeUrls.listener), ...generate(snap, client, TypeUrls.route)].map((r) => r.resource));
    const ping = found.filter((r) => r.match.path === '/echo.Echo/Ping');
    expect(ping.length, 'a route for the method').to.be.greaterThan(0);
    for (const r of ping) expect(r.route.cluster).to.equal('outbound|7070||echo-v2.default.svc.cluster.local');
    const rest = found.filter((r) => r.route.cluster === 'outbound|7070||echo.default.svc.cluster.local');
    expect(rest.map((r) => r.match)).to.deep.include({ prefix: '/' });
  });

  it("Istio's Bookinfo Gateway API sample on the ingress gateway its address names: the listener, the route table, the paths", () => {
    // samples/bookinfo/gateway-api/bookinfo-gateway.yaml of Istio, with the address of an existing gateway Service.
    const sample = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: bookinfo-gateway, namespace: default }
spec:
  gatewayClassName: istio
  addresses: [{ type: Hostname, value: istio-ingressgateway.istio-system.svc.cluster.local }]
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes: { namespaces: { from: Same } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bookinfo, namespace: default }
spec:
  parentRefs: [{ name: bookinfo-gateway }]
  rules:
  - matches:
    - path: { type: Exact, value: /productpage }
    - path: { type: PathPrefix, value: /static }
    - path: { type: Exact, value: /login }
    - path: { type: Exact, value: /logout }
    - path: { type: PathPrefix, value: /api/v1/products }
    backendRefs: [{ name: productpage, port: 9080 }]
`;
    const snap = buildSnapshot([...bookinfo(), ...yamlObjects(sample)]);
    const gw = proxy(GATEWAY);
    const listeners = generate(snap, gw, TypeUrls.listener);
    const routes = generate(snap, gw, TypeUrls.route);
    expectValid(TypeUrls.listener, listeners);
    expectValid(TypeUrls.route, routes);
    // The Service maps port 80 to the pod's 8080: the gateway listens there.
    expect(listeners.map((l) => l.name)).to.include('0.0.0.0_8080');
    const table = byName(routes, 'http.8080');
    const vh = table.virtual_hosts.find((v: any) => v.domains.includes('*'));
    expect(vh.routes.map((r: any) => [r.match, r.route.cluster])).to.deep.equal([
      [{ path: '/productpage' }, cluster('productpage.default.svc.cluster.local')],
      [{ path: '/logout' }, cluster('productpage.default.svc.cluster.local')],
      [{ path: '/login' }, cluster('productpage.default.svc.cluster.local')],
      [{ path_separated_prefix: '/api/v1/products' }, cluster('productpage.default.svc.cluster.local')],
      [{ path_separated_prefix: '/static' }, cluster('productpage.default.svc.cluster.local')],
    ]);
    // A sidecar is not bound to the Gateway's routes.
    expect(JSON.stringify(generate(snap, proxy(PRODUCTPAGE), TypeUrls.route))).to.not.include('/productpage');
  });

  it('a TLS passthrough listener and a TLSRoute on the ingress gateway: a filter chain by SNI to the backend, no TLS terminated', () => {
    const snap = buildSnapshot([
      ...bookinfo(),
      ...yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: passthrough, namespace: default }
spec:
  gatewayClassName: istio
  addresses: [{ type: Hostname, value: istio-ingressgateway.istio-system.svc.cluster.local }]
  listeners: [{ name: tls, port: 443, protocol: TLS, hostname: '*.example.com', tls: { mode: Passthrough } }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: shop, namespace: default }
spec:
  parentRefs: [{ name: passthrough }]
  hostnames: [shop.example.com]
  rules: [{ backendRefs: [{ name: productpage, port: 9080 }] }]
`),
    ]);
    const listeners = generate(snap, proxy(GATEWAY), TypeUrls.listener);
    expectValid(TypeUrls.listener, listeners);
    // The Service maps 443 to the pod's 8443.
    const l = byName(listeners, '0.0.0.0_8443');
    const chain = l.filter_chains.find((c: any) => c.filter_chain_match?.server_names?.includes('shop.example.com'));
    expect(chain, 'a chain for the SNI name').to.not.equal(undefined);
    expect(chain.transport_socket, 'passed through, not terminated').to.equal(undefined);
    expect(chain.filters.at(-1).typed_config.cluster).to.equal(cluster('productpage.default.svc.cluster.local'));
  });

  it("a TCPRoute on a TCP Service: the sidecar's tcp_proxy splits the connections by weight", () => {
    const snap = buildSnapshot([
      ...bookinfo(),
      ...yamlObjects(`${MYSQL_SERVICE}
---
apiVersion: v1
kind: Service
metadata: { name: mysql-v2 }
spec: { selector: { app: mysql, version: v2 }, ports: [{ name: tcp-mysql, port: 3306 }] }
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: { name: mysql-canary }
spec:
  parentRefs: [{ group: '', kind: Service, name: mysql, port: 3306 }]
  rules: [{ backendRefs: [{ name: mysql, port: 3306, weight: 9 }, { name: mysql-v2, port: 3306, weight: 1 }] }]
`),
    ]);
    const listeners = generate(snap, proxy(PRODUCTPAGE), TypeUrls.listener);
    expectValid(TypeUrls.listener, listeners);
    const tcp = byName(listeners, '10.96.5.5_3306').filter_chains[0].filters.at(-1).typed_config;
    expect(tcp.weighted_clusters.clusters.map((c: any) => [c.name, c.weight])).to.deep.equal([
      [cluster('mysql.default.svc.cluster.local', 3306), 9],
      [cluster('mysql-v2.default.svc.cluster.local', 3306), 1],
    ]);
  });
});
