import { expect } from 'chai';
import { generate } from '../../../src/xds/gen/index.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { catchAllLast, collapseDuplicates, isCatchAll, moreSpecificFirst } from '../../../src/xds/gen/gateway-vhosts.js';
import { GATEWAY, PRODUCTPAGE, bookinfo, byName, expectValid, ingressGatewayYaml, proxy, yamlObjects } from './helpers.js';

/** The route tables of a proxy, checked against Envoy's protos. */
function routeTables(yaml: string, node = GATEWAY, ...samples: string[]) {
  const snap = buildSnapshot([...bookinfo(...samples), ...yamlObjects(yaml)]);
  const routes = generate(snap, proxy(node), TypeUrls.route);
  expectValid(TypeUrls.route, routes);
  return routes;
}

/** A route as `<path> <service>` (`<path> redirect` for a redirect), to read tables at a glance. */
const show = (r: any): string => {
  const m = r.match;
  const path = m.path ?? m.prefix ?? m.path_separated_prefix ?? m.safe_regex?.regex;
  const headers = m.headers ? ` [${m.headers.map((h: any) => h.name).join(',')}]` : '';
  return `${path}${headers} ${r.route ? r.route.cluster.split('|')[3].split('.')[0] : 'redirect'}`;
};

/** The virtual hosts of a gateway route table: name → routes shown, and the fields beside the routes. */
const hosts = (table: any): Record<string, { domains: string[]; routes: string[]; require_tls?: string }> =>
  Object.fromEntries(table.virtual_hosts.map((v: any) => [v.name, { domains: v.domains, routes: v.routes.map(show), ...(v.require_tls ? { require_tls: v.require_tls } : {}) }]));

const GW = (servers: string, name = 'gw', created = '2026-01-01T00:00:00Z') => ingressGatewayYaml(name, created, servers);

const HTTP80 = (hosts: string, extra = '') => `
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ${hosts}${extra}`;

/** A VirtualService bound to istio-system/gw with one rule per `path service` pair (`/` alone: no match). */
function vs(name: string, o: { namespace?: string; created?: string; hosts: string; rules: string[]; gateways?: string; exportTo?: string }): string {
  const rules = o.rules.map((r) => {
    const [path, host] = r.split(' ');
    const match = path === '/' ? '' : `match: [{ uri: { prefix: ${path} } }], `;
    return `\n  - { ${match}route: [{ destination: { host: ${host}.default.svc.cluster.local, port: { number: 9080 } } }] }`;
  });
  return `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: ${o.namespace ?? 'default'}, creationTimestamp: "${o.created ?? '2026-01-01T00:00:00Z'}" }
spec:
  hosts: ${o.hosts}
  gateways: [${o.gateways ?? 'istio-system/gw'}]${o.exportTo ? `\n  exportTo: ${o.exportTo}` : ''}
  http:${rules.join('')}`;
}

describe('gateways merge the VirtualServices that share a host, as istiod', () => {
  it('two VirtualServices for one host: one virtual host with the older one’s routes first, then the newer one’s', () => {
    const teams = (apiCreated: string, webCreated: string) =>
      GW(HTTP80('[shop.example.com]')) +
      vs('api', { namespace: 'team-a', created: apiCreated, hosts: '[shop.example.com]', rules: ['/api reviews'] }) +
      vs('web', { namespace: 'team-b', created: webCreated, hosts: '[shop.example.com]', rules: ['/web productpage'] });
    expect(hosts(byName(routeTables(teams('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')), 'http.8080'))).to.deep.equal({
      'shop.example.com:8080': { domains: ['shop.example.com', 'shop.example.com:*'], routes: ['/api reviews', '/web productpage'] },
    });
    // The other way round when web is the older one.
    expect(hosts(byName(routeTables(teams('2026-01-02T00:00:00Z', '2026-01-01T00:00:00Z')), 'http.8080'))['shop.example.com:8080']!.routes).to.deep.equal(['/web productpage', '/api reviews']);
  });

  it('of the same age: by name, then by namespace (istiod’s order, not namespace first)', () => {
    const yaml =
      GW(HTTP80('[shop.example.com]')) +
      vs('b', { namespace: 'aaa', hosts: '[shop.example.com]', rules: ['/b reviews'] }) +
      vs('a', { namespace: 'zzz', hosts: '[shop.example.com]', rules: ['/a ratings'] }) +
      vs('a', { namespace: 'yyy', hosts: '[shop.example.com]', rules: ['/y details'] });
    expect(hosts(byName(routeTables(yaml), 'http.8080'))['shop.example.com:8080']!.routes).to.deep.equal(['/y details', '/a ratings', '/b reviews']);
  });

  it('a host only one of them names keeps only that one’s routes', () => {
    const yaml =
      GW(HTTP80("['*']")) +
      vs('both', { hosts: '[a.example.com, b.example.com]', rules: ['/both reviews'] }) +
      vs('only-a', { created: '2026-01-02T00:00:00Z', hosts: '[a.example.com]', rules: ['/a ratings'] });
    expect(hosts(byName(routeTables(yaml), 'http.8080'))).to.deep.equal({
      'a.example.com:8080': { domains: ['a.example.com', 'a.example.com:*'], routes: ['/both reviews', '/a ratings'] },
      'b.example.com:8080': { domains: ['b.example.com', 'b.example.com:*'], routes: ['/both reviews'] },
    });
  });

  it('wildcards: a VirtualService host and a specific one stay two virtual hosts; under a specific server host they merge', () => {
    const vss =
      vs('wild', { hosts: "['*.example.com']", rules: ['/wild reviews'] }) +
      vs('shop', { created: '2026-01-02T00:00:00Z', hosts: '[shop.example.com]', rules: ['/shop ratings'] });
    // Server `*`: each VirtualService host is its own virtual host; Envoy picks shop.example.com before the wildcard.
    expect(hosts(byName(routeTables(GW(HTTP80("['*']")) + vss), 'http.8080'))).to.deep.equal({
      '*.example.com:8080': { domains: ['*.example.com', '*.example.com:*'], routes: ['/wild reviews'] },
      'shop.example.com:8080': { domains: ['shop.example.com', 'shop.example.com:*'], routes: ['/shop ratings'] },
    });
    // Server `shop.example.com`: the wildcard VirtualService narrows to it and shares its virtual host.
    expect(hosts(byName(routeTables(GW(HTTP80('[shop.example.com]')) + vss), 'http.8080'))).to.deep.equal({
      'shop.example.com:8080': { domains: ['shop.example.com', 'shop.example.com:*'], routes: ['/wild reviews', '/shop ratings'] },
    });
    // Server `*.example.com` and a VirtualService for `*`: the server's wildcard, merged with the other's.
    const star = vs('star', { hosts: "['*']", rules: ['/star details'] }) + vs('wild', { created: '2026-01-02T00:00:00Z', hosts: "['*.example.com']", rules: ['/wild reviews'] });
    expect(hosts(byName(routeTables(GW(HTTP80("['*.example.com']")) + star), 'http.8080'))).to.deep.equal({
      '*.example.com:8080': { domains: ['*.example.com', '*.example.com:*'], routes: ['/star details', '/wild reviews'] },
    });
  });

  it('a namespace-qualified server host takes only the VirtualServices of that namespace', () => {
    const yaml =
      GW(HTTP80('[team-a/shop.example.com]')) +
      vs('api', { namespace: 'team-a', hosts: '[shop.example.com]', rules: ['/api reviews'] }) +
      vs('web', { namespace: 'team-b', hosts: '[shop.example.com]', rules: ['/web productpage'] });
    expect(hosts(byName(routeTables(yaml), 'http.8080'))['shop.example.com:8080']!.routes).to.deep.equal(['/api reviews']);
  });

  it('catch-all routes go last, so one VirtualService’s default route does not hide the paths another adds', () => {
    const yaml =
      GW(HTTP80('[shop.example.com]')) +
      vs('site', { hosts: '[shop.example.com]', rules: ['/static details', '/ productpage', '/never ratings'] }) +
      vs('api', { created: '2026-01-02T00:00:00Z', hosts: '[shop.example.com]', rules: ['/api reviews', '/ ratings'] });
    // site's rule after its catch-all could never be reached, and is not made to be; both catch-alls go last, in order.
    expect(hosts(byName(routeTables(yaml), 'http.8080'))['shop.example.com:8080']!.routes).to.deep.equal(['/static details', '/api reviews', '/ productpage', '/ ratings']);
  });

  it('a route for every path that also matches a header is not a catch-all: it keeps its place', () => {
    const yaml =
      GW(HTTP80('[shop.example.com]')) +
      `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: canary, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z" }
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/gw]
  http:
  - { match: [{ headers: { x-canary: { exact: "1" } } }], route: [{ destination: { host: reviews, port: { number: 9080 } } }] }` +
      vs('api', { created: '2026-01-02T00:00:00Z', hosts: '[shop.example.com]', rules: ['/api ratings'] });
    expect(hosts(byName(routeTables(yaml), 'http.8080'))['shop.example.com:8080']!.routes).to.deep.equal(['/ [x-canary] reviews', '/api ratings']);
  });

  it('virtual hosts with the same routes become one, named after the most specific host, with all their domains', () => {
    const yaml = GW(HTTP80("['*']")) + vs('many', { hosts: "['*.example.com', x.example.com, long.example.com, a.example.com]", rules: ['/ reviews'] });
    expect(hosts(byName(routeTables(yaml), 'http.8080'))).to.deep.equal({
      'long.example.com:8080': {
        domains: ['long.example.com', 'long.example.com:*', 'a.example.com', 'a.example.com:*', 'x.example.com', 'x.example.com:*', '*.example.com', '*.example.com:*'],
        routes: ['/ reviews'],
      },
    });
    // A host another VirtualService adds to has routes of its own: it stays apart.
    const two = yaml + vs('more', { created: '2026-01-02T00:00:00Z', hosts: '[x.example.com]', rules: ['/more ratings'] });
    const table = hosts(byName(routeTables(two), 'http.8080'));
    expect(Object.keys(table)).to.deep.equal(['long.example.com:8080', 'x.example.com:8080']);
    expect(table['long.example.com:8080']!.domains).to.deep.equal(['long.example.com', 'long.example.com:*', 'a.example.com', 'a.example.com:*', '*.example.com', '*.example.com:*']);
    expect(table['x.example.com:8080']!.routes).to.deep.equal(['/more ratings', '/ reviews']);
  });

  it('httpsRedirect: every virtual host a redirecting server adds to requires TLS, and its own hosts redirect without a VirtualService', () => {
    const yaml =
      GW(HTTP80('[a.example.com, b.example.com, team-a/c.example.com]', '\n    tls: { httpsRedirect: true }')) +
      GW(HTTP80('[a.example.com, d.example.com]'), 'plain', '2026-01-02T00:00:00Z') +
      vs('a', { hosts: '[a.example.com]', rules: ['/a reviews'] }) +
      vs('a-plain', { created: '2026-01-02T00:00:00Z', hosts: '[a.example.com, d.example.com]', gateways: 'istio-system/plain', rules: ['/p ratings'] });
    expect(hosts(byName(routeTables(yaml), 'http.8080'))).to.deep.equal({
      'a.example.com:8080': { domains: ['a.example.com', 'a.example.com:*'], routes: ['/a reviews', '/p ratings'], require_tls: 'ALL' },
      // No VirtualService for b: it redirects all the same. c is namespace-qualified: istiod's virtual host for it
      // names a domain no request carries, so none here.
      'b.example.com:8080': { domains: ['b.example.com', 'b.example.com:*'], routes: [], require_tls: 'ALL' },
      'd.example.com:8080': { domains: ['d.example.com', 'd.example.com:*'], routes: ['/p ratings'] },
    });
  });

  it('a VirtualService without routes for the server makes no virtual host: its host stays with the wildcard', () => {
    const yaml =
      GW(HTTP80("['*']")) +
      vs('all', { hosts: "['*']", rules: ['/ productpage'] }) +
      `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: other-port, namespace: default }
spec:
  hosts: [db.example.com]
  gateways: [istio-system/gw]
  http: [{ match: [{ port: 9999 }], route: [{ destination: { host: ratings, port: { number: 9080 } } }] }]`;
    expect(Object.keys(hosts(byName(routeTables(yaml), 'http.8080')))).to.deep.equal(['*:8080']);
  });

  it('exportTo: private VirtualServices of the proxy’s namespace first, then those exported to it, then public ones; others are not read', () => {
    const yaml =
      GW(HTTP80('[shop.example.com]')) +
      vs('public', { created: '2026-01-01T00:00:00Z', hosts: '[shop.example.com]', rules: ['/public reviews'] }) +
      vs('exported', { namespace: 'team-a', created: '2026-01-02T00:00:00Z', hosts: '[shop.example.com]', exportTo: '[istio-system]', rules: ['/exported ratings'] }) +
      vs('private', { namespace: 'istio-system', created: '2026-01-03T00:00:00Z', hosts: '[shop.example.com]', exportTo: "['.']", rules: ['/private details'] }) +
      vs('hidden', { namespace: 'team-b', hosts: '[shop.example.com]', exportTo: "['.']", rules: ['/hidden productpage'] }) +
      vs('nowhere', { namespace: 'team-b', hosts: '[shop.example.com]', exportTo: "['~']", rules: ['/nowhere productpage'] });
    expect(hosts(byName(routeTables(yaml), 'http.8080'))['shop.example.com:8080']!.routes).to.deep.equal(['/private details', '/exported ratings', '/public reviews']);
  });

  it('servers of several Gateways on one port: in the Gateways’ order (older first), each with its VirtualServices', () => {
    const yaml =
      GW(HTTP80('[shop.example.com]'), 'newer', '2026-01-02T00:00:00Z') +
      GW(HTTP80('[shop.example.com]'), 'older', '2026-01-01T00:00:00Z') +
      vs('on-newer', { created: '2026-01-01T00:00:00Z', hosts: '[shop.example.com]', gateways: 'istio-system/newer', rules: ['/n reviews'] }) +
      vs('on-older', { created: '2026-01-05T00:00:00Z', hosts: '[shop.example.com]', gateways: 'istio-system/older', rules: ['/o ratings'] });
    expect(hosts(byName(routeTables(yaml), 'http.8080'))['shop.example.com:8080']!.routes).to.deep.equal(['/o ratings', '/n reviews']);
  });

  it('delegation: the root’s merged rules join the other VirtualService’s for the host', () => {
    const yaml =
      GW(HTTP80('[shop.example.com]')) +
      `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: root, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z" }
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/gw]
  http: [{ match: [{ uri: { prefix: /shop } }], delegate: { name: leaf, namespace: team-a } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: leaf, namespace: team-a }
spec:
  http:
  - { match: [{ uri: { prefix: /shop/cart } }], route: [{ destination: { host: ratings.default.svc.cluster.local, port: { number: 9080 } } }] }
  - { route: [{ destination: { host: reviews.default.svc.cluster.local, port: { number: 9080 } } }] }` +
      vs('api', { created: '2026-01-02T00:00:00Z', hosts: '[shop.example.com]', rules: ['/api details'] });
    expect(hosts(byName(routeTables(yaml), 'http.8080'))['shop.example.com:8080']!.routes).to.deep.equal(['/shop/cart ratings', '/shop reviews', '/api details']);
  });

  it('Gateway API: routes on two listeners of one port that share a hostname meet in one virtual host', () => {
    const yaml = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: web, namespace: istio-system, creationTimestamp: "2026-01-01T00:00:00Z" }
spec:
  gatewayClassName: istio
  addresses: [{ type: Hostname, value: istio-ingressgateway.istio-system.svc.cluster.local }]
  listeners:
  - { name: wild, port: 80, protocol: HTTP, hostname: '*.example.com', allowedRoutes: { namespaces: { from: All } } }
  - { name: shop, port: 80, protocol: HTTP, hostname: shop.example.com, allowedRoutes: { namespaces: { from: All } } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: on-wild, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z" }
spec:
  parentRefs: [{ name: web, namespace: istio-system, sectionName: wild }]
  hostnames: [shop.example.com]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /w } }], backendRefs: [{ name: reviews, port: 9080 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: on-shop, namespace: default, creationTimestamp: "2026-01-02T00:00:00Z" }
spec:
  parentRefs: [{ name: web, namespace: istio-system, sectionName: shop }]
  rules:
  - { backendRefs: [{ name: productpage, port: 9080 }] }
  - { matches: [{ path: { type: PathPrefix, value: /s } }], backendRefs: [{ name: ratings, port: 9080 }] }`;
    const table = hosts(byName(routeTables(yaml), 'http.8080'));
    // One Istio Gateway per listener, of the same age: by name, `…-shop` before `…-wild`. Within a listener the
    // Gateway API's precedence orders the route's rules; the catch-all goes last over both.
    expect(table['shop.example.com:8080']!.routes).to.deep.equal(['/s ratings', '/w reviews', '/ productpage']);
  });

  it('Gateway API routes of the proxy’s namespace come before older public VirtualServices (istiod’s consumer override)', () => {
    const yaml = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: web, namespace: istio-system, creationTimestamp: "2026-01-05T00:00:00Z" }
spec:
  gatewayClassName: istio
  addresses: [{ type: Hostname, value: istio-ingressgateway.istio-system.svc.cluster.local }]
  listeners: [{ name: shop, port: 80, protocol: HTTP, hostname: shop.example.com }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: route, namespace: istio-system, creationTimestamp: "2026-01-05T00:00:00Z" }
spec:
  parentRefs: [{ name: web, sectionName: shop }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /route } }], backendRefs: [{ name: reviews.default.svc.cluster.local, kind: Hostname, group: networking.istio.io, port: 9080 }] }]` +
      vs('older', { created: '2026-01-01T00:00:00Z', hosts: '[shop.example.com]', gateways: 'istio-system/web-istio-autogenerated-k8s-gateway-shop', rules: ['/older ratings'] });
    expect(hosts(byName(routeTables(yaml), 'http.8080'))['shop.example.com:8080']!.routes).to.deep.equal(['/route reviews', '/older ratings']);
  });

  it('sidecars do not merge: the first VirtualService of a host wins it, as in Istio', () => {
    const mesh = (first: string, second: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${first}, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z" }
spec:
  hosts: [reviews]
  gateways: [mesh, istio-system/gw]
  http: [{ match: [{ uri: { prefix: /${first} } }], route: [{ destination: { host: reviews, subset: v1 } }] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${second}, namespace: default, creationTimestamp: "2026-01-02T00:00:00Z" }
spec:
  hosts: [reviews]
  gateways: [mesh, istio-system/gw]
  http: [{ match: [{ uri: { prefix: /${second} } }], route: [{ destination: { host: reviews, subset: v2 } }] }]`;
    const yaml = GW(HTTP80("['*']")) + '\n---' + mesh('one', 'two');
    const sidecar = byName(routeTables(yaml, PRODUCTPAGE), '9080').virtual_hosts.find((v: any) => v.name === 'reviews.default.svc.cluster.local:9080');
    expect(sidecar.routes.map((r: any) => r.match.prefix)).to.deep.equal(['/one']);
    // The same two on the gateway: merged.
    expect(hosts(byName(routeTables(yaml), 'http.8080'))['reviews.default.svc.cluster.local:8080']!.routes.map((r) => r.split(' ')[0])).to.deep.equal(['/one', '/two']);
  });

  it('Bookinfo: a second team’s VirtualService on the sample’s gateway adds its paths to the sample’s host', () => {
    const yaml = vs('ratings-api', { created: '2026-01-02T00:00:00Z', hosts: "['*']", gateways: 'bookinfo-gateway', rules: ['/ratings ratings'] });
    const table = hosts(byName(routeTables(yaml, GATEWAY, 'bookinfo-gateway.yaml'), 'http.8080'));
    expect(table).to.deep.equal({
      '*:8080': {
        domains: ['*'],
        routes: ['/productpage productpage', '/static productpage', '/login productpage', '/logout productpage', '/api/v1/products productpage', '/ratings ratings'],
      },
    });
  });
});

describe('gateway virtual host helpers', () => {
  it('isCatchAll: `/` prefixes (segment-wise too) and the `.*` regex, without header or query matches', () => {
    const cases: Array<[any, boolean]> = [
      [{ prefix: '/' }, true],
      [{ path_separated_prefix: '/' }, true],
      [{ safe_regex: { regex: '.*' } }, true],
      [{ prefix: '/', case_sensitive: { value: false } }, true],
      [{ prefix: '/a' }, false],
      [{ path: '/' }, false],
      [{ safe_regex: { regex: '/.*' } }, false],
      [{ prefix: '/', headers: [{ name: 'x' }] }, false],
      [{ prefix: '/', query_parameters: [{ name: 'q' }] }, false],
      [{}, false],
    ];
    for (const [match, want] of cases) expect(isCatchAll({ match }), JSON.stringify(match)).to.equal(want);
    expect(isCatchAll({})).to.equal(false);
  });

  it('catchAllLast keeps the order of the others and of the catch-alls', () => {
    const r = (prefix: string, n: number) => ({ name: String(n), match: { prefix } });
    expect(catchAllLast([r('/', 1), r('/a', 2), r('/', 3), r('/b', 4)]).map((x) => x.name)).to.deep.equal(['2', '4', '1', '3']);
  });

  it('moreSpecificFirst: names before wildcards, longer first, then alphabetical', () => {
    expect(['*', '*.a.com', 'b.com', 'aa.com', '*.bb.com', 'ab.com'].sort(moreSpecificFirst)).to.deep.equal(['aa.com', 'ab.com', 'b.com', '*.bb.com', '*.a.com', '*']);
  });

  it('collapseDuplicates compares route objects, not their contents, and the TLS requirement', () => {
    const route = { match: { prefix: '/' } };
    const copy = { match: { prefix: '/' } };
    const vh = (host: string, routes: any[], tls?: string) => ({ name: host, domains: [host], routes, ...(tls ? { require_tls: tls } : {}) });
    const out = collapseDuplicates(new Map([['b.com', vh('b.com', [route])], ['a.com', vh('a.com', [route])], ['c.com', vh('c.com', [copy])], ['d.com', vh('d.com', [route], 'ALL')]]));
    expect(out.map((v) => [v.name, v.domains])).to.deep.equal([['a.com', ['a.com', 'b.com']], ['c.com', ['c.com']], ['d.com', ['d.com']]]);
  });
});
