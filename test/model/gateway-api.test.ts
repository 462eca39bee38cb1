/**
 * Gateway API routes attached to Services → VirtualServices (src/model/gateway-api.ts), read through
 * buildSnapshot as the generators see them: hosts, visibility, match order, filters, backends the route may not
 * use, timeouts and retries; and garbage that must yield nothing rather than throw.
 */
import { expect } from 'chai';
import { objectKey, type KubeObject } from '../../src/core/kube.js';
import { buildSnapshot, updateSnapshot } from '../../src/model/snapshot.js';
import { INVALID_BACKEND_HOST, ROUTE_PARENTS, ROUTE_SEMANTICS, gatewayDurationMs } from '../../src/model/gateway-api.js';
import type { Config } from '../../src/model/types.js';

const svc = (name: string, namespace: string, ports: Array<{ name: string; port: number }>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports } });
const route = (name: string, spec: object, o: { namespace?: string; kind?: string; created?: string } = {}): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: o.kind ?? 'HTTPRoute',
  metadata: { name, namespace: o.namespace ?? 'shop', ...(o.created ? { creationTimestamp: o.created } : {}) },
  spec,
});
const toReviews = (rules: object[], parent: object = {}) => ({ parentRefs: [{ group: '', kind: 'Service', name: 'reviews', ...parent }], rules });
const R = (name: string, port = 9080) => ({ name, port });
const HOST = (name: string, ns = 'shop') => `${name}.${ns}.svc.cluster.local`;

const SERVICES: KubeObject[] = [
  svc('reviews', 'shop', [{ name: 'http', port: 9080 }, { name: 'http-admin', port: 9090 }]),
  svc('reviews-v2', 'shop', [{ name: 'http', port: 9080 }]),
  svc('ratings', 'rate', [{ name: 'http', port: 9080 }]),
  svc('echo', 'shop', [{ name: 'grpc', port: 7070 }]),
];

/** The VirtualServices made from Gateway API routes (the ones Istio's own objects did not give). */
function converted(...objs: KubeObject[]): Config[] {
  return buildSnapshot([...SERVICES, ...objs]).virtualServices.filter((v) => v.annotations[ROUTE_SEMANTICS] === 'gateway');
}
const only = (...objs: KubeObject[]): Config => {
  const vss = converted(...objs);
  expect(vss).to.have.length(1);
  return vss[0]!;
};

describe('Gateway API routes → VirtualServices', () => {
  it('a route attached to a Service in its namespace: the Service host, for every client, with the route named', () => {
    const vs = only(route('r', toReviews([{ backendRefs: [R('reviews-v2')] }])));
    expect(vs).to.deep.include({ kind: 'VirtualService', name: 'reviews.shop.gateway-api', namespace: 'shop' });
    expect(vs.annotations[ROUTE_PARENTS]).to.equal('HTTPRoute/r.shop');
    expect(vs.spec).to.deep.equal({
      hosts: [HOST('reviews')],
      gateways: ['mesh'],
      exportTo: ['*'],
      http: [{ name: 'shop.r.0.0', match: [{ uri: { prefix: '/' } }], route: [{ destination: { host: HOST('reviews-v2'), port: { number: 9080 } } }] }],
    });
  });

  it('a route attached to a Service of another namespace is the consumer route: its own namespace only, and listed first', () => {
    const vss = converted(
      route('producer', toReviews([{ backendRefs: [R('reviews')] }]), { created: '2020-01-01T00:00:00Z' }),
      route('consumer', { parentRefs: [{ group: '', kind: 'Service', name: 'reviews', namespace: 'shop' }], rules: [{ backendRefs: [{ name: 'reviews-v2', namespace: 'shop', port: 9080 }] }] }, { namespace: 'rate', created: '2024-01-01T00:00:00Z' }),
    );
    expect(vss.map((v) => [v.namespace, v.spec.exportTo])).to.deep.equal([
      ['rate', ['.']],
      ['shop', ['*']],
    ]);
    // rate may not send to shop without a ReferenceGrant in shop: the consumer's backend is refused.
    expect(vss[0]!.spec.http[0].route[0].destination.host).to.equal(INVALID_BACKEND_HOST);
  });

  it('routes to one Service merge into one VirtualService, matches ordered by the Gateway API precedence, ties by age', () => {
    const vs = only(
      route('older', toReviews([{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }, { path: { type: 'RegularExpression', value: '/x.*' } }], backendRefs: [R('reviews')] }]), { created: '2020-01-01T00:00:00Z' }),
      route('newer', toReviews([
        { matches: [{ path: { type: 'PathPrefix', value: '/api' }, method: 'POST' }], backendRefs: [R('reviews-v2')] },
        { matches: [{ path: { type: 'Exact', value: '/api/login' } }], backendRefs: [R('reviews-v2')] },
        { matches: [{ path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'X-User', value: 'jason' }], queryParams: [{ name: 'a', value: '1' }, { type: 'RegularExpression', name: 'b', value: '[0-9]+' }] }], backendRefs: [R('reviews-v2')] },
        { matches: [{ path: { type: 'PathPrefix', value: '/api/v1/' } }], backendRefs: [R('reviews-v2')] },
      ]), { created: '2021-01-01T00:00:00Z' }),
    );
    expect(vs.annotations[ROUTE_PARENTS]).to.equal('HTTPRoute/older.shop,HTTPRoute/newer.shop');
    expect(vs.spec.http.map((h: any) => [h.name, h.match[0]])).to.deep.equal([
      ['shop.newer.1.0', { uri: { exact: '/api/login' } }],
      ['shop.newer.3.0', { uri: { prefix: '/api/v1' } }], // a trailing slash is ignored
      ['shop.newer.0.0', { uri: { prefix: '/api' }, method: { exact: 'POST' } }],
      ['shop.newer.2.0', { uri: { prefix: '/api' }, headers: { 'x-user': { exact: 'jason' } }, queryParams: { a: { exact: '1' }, b: { regex: '[0-9]+' } } }],
      ['shop.older.0.0', { uri: { prefix: '/api' } }],
      ['shop.older.0.1', { uri: { regex: '/x.*' } }],
    ]);
  });

  it("a route attached to an Istio ServiceEntry applies to each of its hosts (Istio's egress gateway with the Gateway API); an incremental ServiceEntry change re-derives it", () => {
    const se = (hosts: string[]): KubeObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'cnn', namespace: 'shop' }, spec: { hosts, ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' } });
    const toEgress = route('direct-cnn-to-egress-gateway', {
      parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'cnn' }],
      rules: [{ backendRefs: [R('reviews', 9080)] }],
    });
    const vss = converted(se(['edition.cnn.com', 'www.cnn.com']), toEgress);
    expect(vss.map((v) => [v.name, v.spec.hosts, v.spec.exportTo, v.spec.http[0].route[0].destination.host])).to.deep.equal([
      ['cnn.edition.cnn.com.shop.gateway-api', ['edition.cnn.com'], ['*'], HOST('reviews')],
      ['cnn.www.cnn.com.shop.gateway-api', ['www.cnn.com'], ['*'], HOST('reviews')],
    ]);
    // A parentRef port the ServiceEntry has narrows the matches; one it has not attaches nowhere.
    const narrowed = (port: number) => converted(se(['edition.cnn.com']), route('r', { parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'cnn', port }], rules: [{ backendRefs: [R('reviews')] }] }));
    expect(narrowed(80)[0]!.spec.http[0].match).to.deep.equal([{ uri: { prefix: '/' }, port: 80 }]);
    expect(narrowed(443)).to.deep.equal([]);
    // No such ServiceEntry: nothing.
    expect(converted(toEgress)).to.deep.equal([]);
    // The snapshot kept up to date object by object gives the same as one built whole.
    const before = buildSnapshot([...SERVICES, se(['edition.cnn.com']), toEgress]);
    const after = updateSnapshot(before, [...SERVICES, se(['edition.cnn.com', 'www.cnn.com']), toEgress], [objectKey(se([]))]);
    expect(after.virtualServices.filter((v) => v.annotations[ROUTE_SEMANTICS] === 'gateway').map((v) => v.spec.hosts[0])).to.deep.equal(['edition.cnn.com', 'www.cnn.com']);
  });

  it("a parentRef's port or sectionName (a port name) narrows every match to that port", () => {
    const byPort = only(route('r', toReviews([{ matches: [{ path: { value: '/a' } }], backendRefs: [R('reviews')] }], { port: 9090 })));
    expect(byPort.spec.http[0].match).to.deep.equal([{ uri: { prefix: '/a' }, port: 9090 }]);
    const byName = only(route('r', toReviews([{ backendRefs: [R('reviews')] }], { sectionName: 'http-admin' })));
    expect(byName.spec.http[0].match).to.deep.equal([{ uri: { prefix: '/' }, port: 9090 }]);
    const both = only(route('r', { parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }, { group: '', kind: 'Service', name: 'reviews', port: 9090 }], rules: [{ backendRefs: [R('reviews')] }] }));
    expect(both.spec.http.map((h: any) => [h.name, h.match[0].port])).to.deep.equal([
      ['shop.r.0.0.9080', 9080],
      ['shop.r.0.0.9090', 9090],
    ]);
    // A port or port name the Service has not attaches the route nowhere: no VirtualService (which would leave the
    // Service's clients without a route), while a ref that names a port it has still counts.
    expect(converted(route('r', toReviews([{ backendRefs: [R('reviews')] }], { sectionName: 'grpc' })))).to.deep.equal([]);
    expect(converted(route('r', toReviews([{ backendRefs: [R('reviews')] }], { port: 1234 })))).to.deep.equal([]);
    const oneGood = only(route('r', { parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 1234 }, { group: '', kind: 'Service', name: 'reviews', port: 9080 }], rules: [{ backendRefs: [R('reviews')] }] }));
    expect(oneGood.spec.http.map((h: any) => h.match[0].port)).to.deep.equal([9080]);
  });

  it('weights split the traffic; a zero weight takes none; a backend the route may not use keeps its share, sent nowhere', () => {
    const vs = only(route('r', toReviews([{ backendRefs: [{ ...R('reviews'), weight: 90 }, { ...R('reviews-v2'), weight: 10 }, { ...R('reviews-v2'), weight: 0 }, { name: 'reviews', port: 1234, weight: 5 }, { name: 'nope', port: 80 }, { ...R('reviews'), kind: 'Bucket', group: 'storage.example.com' }, { name: 'no-port' }, { ...R('reviews'), kind: 'ServiceImport', group: 'multicluster.x-k8s.io' }, { name: 'reviews.shop.svc.cluster.local', port: 9080 }] }])));
    expect(vs.spec.http[0].route.map((d: any) => [d.destination.host, d.destination.port.number, d.weight])).to.deep.equal([
      [HOST('reviews'), 9080, 90],
      [HOST('reviews-v2'), 9080, 10],
      [INVALID_BACKEND_HOST, 1, 5], // the Service has no port 1234
      [INVALID_BACKEND_HOST, 1, 1], // no such Service
      [INVALID_BACKEND_HOST, 1, 1], // not a Service
      [INVALID_BACKEND_HOST, 1, 1], // no port
      [HOST('reviews'), 9080, 1], // a ServiceImport is the Service of the one cluster mizzen reads
      [INVALID_BACKEND_HOST, 1, 1], // a Service named by its host name, not its name
    ]);
  });

  it('a ReferenceGrant in the backend namespace lets a route use a Service there; one for another kind or name does not', () => {
    const r = route('r', toReviews([{ backendRefs: [{ name: 'ratings', namespace: 'rate', port: 9080 }] }]));
    const grant = (to: object, from: object = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'shop' }): KubeObject => ({ apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name: 'g', namespace: 'rate' }, spec: { from: [from], to: [to] } });
    const host = (...extra: KubeObject[]) => only(r, ...extra).spec.http[0].route[0].destination.host;
    expect(host()).to.equal(INVALID_BACKEND_HOST);
    expect(host(grant({ group: '', kind: 'Service' }))).to.equal(HOST('ratings', 'rate'));
    expect(host(grant({ group: '', kind: 'Service', name: 'ratings' }))).to.equal(HOST('ratings', 'rate'));
    expect(host(grant({ group: '', kind: 'Service', name: 'other' }))).to.equal(INVALID_BACKEND_HOST);
    expect(host(grant({ group: '', kind: 'Service' }, { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', namespace: 'shop' }))).to.equal(INVALID_BACKEND_HOST);
    expect(host(grant({ group: '', kind: 'Service' }, { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'elsewhere' }))).to.equal(INVALID_BACKEND_HOST);
  });

  it('filters: header edits, backend header edits, mirror, URL rewrites', () => {
    const vs = only(
      route('r', toReviews([
        {
          matches: [{ path: { value: '/old' } }],
          filters: [
            { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-a', value: '1' }], add: [{ name: 'x-b', value: '2' }], remove: ['x-c'] } },
            { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-d', value: '3' }] } },
            { type: 'RequestMirror', requestMirror: { backendRef: R('reviews-v2'), percent: 25 } },
            { type: 'RequestMirror', requestMirror: { backendRef: { name: 'nope', port: 1 } } },
            { type: 'URLRewrite', urlRewrite: { hostname: 'new.example.com', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new/' } } },
          ],
          backendRefs: [{ ...R('reviews'), filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-backend', value: 'v1' }] } }] }],
        },
        { matches: [{ path: { value: '/strip' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }], backendRefs: [R('reviews')] },
        { matches: [{ path: { type: 'Exact', value: '/full' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/other' } } }], backendRefs: [R('reviews')] },
      ])),
    );
    const [full, strip, old] = [vs.spec.http[0], vs.spec.http[1], vs.spec.http[2]];
    expect(old.headers).to.deep.equal({ request: { set: { 'x-a': '1' }, add: { 'x-b': '2' }, remove: ['x-c'] }, response: { set: { 'x-d': '3' } } });
    expect(old.mirrors).to.deep.equal([{ destination: { host: HOST('reviews-v2'), port: { number: 9080 } }, percentage: { value: 25 } }]);
    expect(old.rewrite).to.deep.equal({ uri: '/new', authority: 'new.example.com' });
    expect(old.route).to.deep.equal([{ destination: { host: HOST('reviews'), port: { number: 9080 } }, headers: { request: { add: { 'x-backend': 'v1' } } } }]);
    // /strip → / must make /strip/a into /a, not //a.
    expect(strip.rewrite).to.deep.equal({ uriRegexRewrite: { match: '^/strip/*', rewrite: '/' } });
    expect(full.rewrite).to.deep.equal({ uriRegexRewrite: { match: '^.*$', rewrite: '/other' } });
  });

  it('a redirect answers instead of routing: scheme, host, port, path or prefix, 302 unless told', () => {
    const vs = only(
      route('r', toReviews([
        { matches: [{ path: { value: '/a' } }], filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', hostname: 'x.example.com', port: 8443, statusCode: 301 } }], backendRefs: [R('reviews')] },
        { matches: [{ path: { value: '/b' } }], filters: [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/c' } } }] },
        { matches: [{ path: { type: 'Exact', value: '/d' } }], filters: [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplaceFullPath', replaceFullPath: '/e' } } }] },
      ])),
    );
    const by = (p: string) => vs.spec.http.find((h: any) => (h.match[0].uri.prefix ?? h.match[0].uri.exact) === p);
    expect(by('/a')).to.deep.equal({ name: 'shop.r.0.0', match: [{ uri: { prefix: '/a' } }], redirect: { redirectCode: 301, scheme: 'https', authority: 'x.example.com', port: 8443 } });
    expect(by('/b').redirect, 'no port: the request\'s').to.deep.equal({ redirectCode: 302, derivePort: 'FROM_REQUEST_PORT', prefixRewrite: '/c' });
    expect(by('/d').redirect).to.deep.equal({ redirectCode: 302, derivePort: 'FROM_REQUEST_PORT', uri: '/e' });
    const toHttps = only(route('r', toReviews([{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }] }]))).spec.http[0].redirect;
    expect(toHttps, "a new scheme without a port: the scheme's default").to.deep.equal({ redirectCode: 302, scheme: 'https', derivePort: 'FROM_PROTOCOL_DEFAULT' });
  });

  it('backends: an Istio Hostname (a ServiceEntry host, no namespace) is routed to; CORS becomes the corsPolicy', () => {
    const se: KubeObject = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'ext', namespace: 'shop' }, spec: { hosts: ['api.example.com'], ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], resolution: 'DNS' } };
    const host = (ref: object) => only(se, route('r', toReviews([{ backendRefs: [ref] }]))).spec.http[0].route[0].destination;
    expect(host({ group: 'networking.istio.io', kind: 'Hostname', name: 'api.example.com', port: 443 })).to.deep.equal({ host: 'api.example.com', port: { number: 443 } });
    expect(host({ group: 'networking.istio.io', kind: 'Hostname', name: 'api.example.com', namespace: 'shop', port: 443 }).host, 'with a namespace').to.equal(INVALID_BACKEND_HOST);
    expect(host({ group: 'networking.istio.io', kind: 'Hostname', name: 'other.example.com', port: 443 }).host, 'no such host').to.equal(INVALID_BACKEND_HOST);
    const cors = only(route('r', toReviews([{ filters: [{ type: 'CORS', cors: { allowOrigins: ['https://a.example.com', ''], allowMethods: ['GET'], allowHeaders: ['x-a'], exposeHeaders: ['x-b'], allowCredentials: true, maxAge: 600 } }], backendRefs: [R('reviews')] }]))).spec.http[0];
    expect(cors.corsPolicy).to.deep.equal({ allowOrigins: [{ exact: 'https://a.example.com' }], allowMethods: ['GET'], allowHeaders: ['x-a'], exposeHeaders: ['x-b'], allowCredentials: true, maxAge: '600s' });
  });

  it('a rule with a filter mizzen does not apply, or with nothing to send to, answers 500', () => {
    const vs = only(
      route('r', toReviews([
        { matches: [{ path: { value: '/ext' } }], filters: [{ type: 'ExtensionRef', extensionRef: { group: 'x', kind: 'Y', name: 'z' } }], backendRefs: [R('reviews')] },
        { matches: [{ path: { value: '/none' } }] },
        { matches: [{ path: { value: '/zero' } }], backendRefs: [{ ...R('reviews'), weight: 0 }] },
      ])),
    );
    for (const h of vs.spec.http) expect(h, h.name).to.deep.include({ directResponse: { status: 500 } }).and.not.have.property('route');
  });

  it('timeouts and retries: request is the timeout; backendRequest bounds each try (the default 2 retries when none are set)', () => {
    const rules = (timeouts: object, retry?: object) => only(route('r', toReviews([{ timeouts, ...(retry ? { retry } : {}), backendRefs: [R('reviews')] }]))).spec.http[0];
    expect(rules({ request: '10s' })).to.deep.include({ timeout: '10000ms' }).and.not.have.property('retries');
    expect(rules({ request: '1m30s', backendRequest: '500ms' })).to.deep.include({ timeout: '90000ms', retries: { attempts: 2, perTryTimeout: '500ms' } });
    expect(rules({ backendRequest: '2s' }, { attempts: 0 })).to.deep.include({ timeout: '2000ms', retries: { attempts: 0 } });
    expect(rules({}, { attempts: 3, codes: [502, 503, 42], backoff: '100ms' }).retries).to.deep.equal({ attempts: 3, retryOn: '502,503', backoff: '100ms' });
    expect(rules({ request: 'ten seconds' })).to.not.have.property('timeout');
  });

  it('TCPRoute and TLSRoute on a Service: tcp routes (narrowed to the parentRef port), and tls routes by SNI where a TLSRoute names hostnames', () => {
    const l4 = (kind: string, name: string, spec: object) => ({ ...route(name, spec, { kind }), apiVersion: `gateway.networking.k8s.io/${kind === 'TCPRoute' ? 'v1alpha2' : 'v1'}` });
    const vs = only(
      l4('TCPRoute', 'tcp', { parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9090 }], rules: [{ backendRefs: [{ ...R('reviews-v2'), weight: 1 }, { ...R('reviews'), weight: 3 }] }] }),
      l4('TLSRoute', 'tls', { parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }], hostnames: ['reviews.example.com'], rules: [{ backendRefs: [R('reviews-v2')] }] }),
      l4('TLSRoute', 'tls-any', { parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }], rules: [{ backendRefs: [R('reviews')] }, { backendRefs: [] }] }),
    );
    expect(vs.annotations[ROUTE_PARENTS]).to.equal('TCPRoute/tcp.shop,TLSRoute/tls.shop,TLSRoute/tls-any.shop');
    expect(vs.spec).to.deep.equal({
      hosts: [HOST('reviews')],
      gateways: ['mesh'],
      exportTo: ['*'],
      tls: [{ match: [{ sniHosts: ['reviews.example.com'] }], route: [{ destination: { host: HOST('reviews-v2'), port: { number: 9080 } } }] }],
      tcp: [
        { match: [{ port: 9090 }], route: [{ destination: { host: HOST('reviews-v2'), port: { number: 9080 } }, weight: 1 }, { destination: { host: HOST('reviews'), port: { number: 9080 } }, weight: 3 }] },
        { route: [{ destination: { host: HOST('reviews'), port: { number: 9080 } } }] },
      ],
    });
  });

  it('GRPCRoute: service and method become the request path', () => {
    const vs = only(
      route('g', {
        parentRefs: [{ group: '', kind: 'Service', name: 'echo' }],
        rules: [
          { matches: [{ method: { service: 'echo.Echo', method: 'Ping' } }], backendRefs: [{ name: 'echo', port: 7070 }] },
          { matches: [{ method: { service: 'echo.Echo' } }, { method: { method: 'Get' } }, { method: { type: 'RegularExpression', service: 'echo\\..*' }, headers: [{ name: 'X-Env', value: 'dev' }] }], backendRefs: [{ name: 'echo', port: 7070 }] },
          { backendRefs: [{ name: 'echo', port: 7070 }] },
        ],
      }, { kind: 'GRPCRoute' }),
    );
    expect(vs.annotations[ROUTE_PARENTS]).to.equal('GRPCRoute/g.shop');
    expect(vs.spec.http.map((h: any) => h.match?.[0] ?? null)).to.deep.equal([
      { uri: { exact: '/echo.Echo/Ping' } },
      { uri: { prefix: '/echo.Echo/' } },
      { uri: { regex: '/echo\\..*/[^/]+' }, headers: { 'x-env': { exact: 'dev' } } },
      { uri: { regex: '/[^/]+/Get' } },
      null, // no match: every call, last
    ]);
    // A GRPCRoute cannot redirect or rewrite URLs: such a rule answers 500.
    const bad = only(route('g', { parentRefs: [{ group: '', kind: 'Service', name: 'echo' }], rules: [{ filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'x' } }], backendRefs: [{ name: 'echo', port: 7070 }] }] }, { kind: 'GRPCRoute' }));
    expect(bad.spec.http[0].directResponse).to.deep.equal({ status: 500 });
  });

  it('routes attached to no Service (a Gateway API Gateway, defaults) make nothing, and Istio VirtualServices stay first', () => {
    const istioVs: KubeObject = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'shop' }, spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }] }] } };
    const snap = buildSnapshot([
      ...SERVICES,
      istioVs,
      route('to-gateway', { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [R('reviews')] }] }),
      route('explicit-gateway', { parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }], rules: [] }),
      route('mesh', toReviews([{ backendRefs: [R('reviews')] }])),
    ]);
    expect(snap.virtualServices.map((v) => v.name)).to.deep.equal(['reviews', 'reviews.shop.gateway-api']);
    expect(snap.httpRoutes.map((r) => r.name)).to.deep.equal(['explicit-gateway', 'mesh', 'to-gateway']);
  });

  it('garbage yields fewer rules, never a throw', () => {
    const junk: unknown[] = [null, 7, 'x', [], { parentRefs: 'no' }, { parentRefs: [null, 3, { kind: 'Service', group: '', name: 5 }] }, { parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }], rules: 'no' }];
    const rules: unknown[] = [null, 4, { matches: 'x', backendRefs: [null, { name: 3 }, { name: 'reviews', port: 'eighty' }] }, { matches: [null, { path: 5, headers: [null, { name: 1 }], method: 3 }], filters: [null, { type: 7 }] }, { timeouts: { request: 5 }, retry: 'x', backendRefs: [{ name: 'reviews', port: 9080, weight: -1, filters: 'f' }] }];
    const objs = [...junk.map((spec, i) => route(`junk${i}`, spec as object)), route('rules', toReviews(rules as object[])), route('g', { parentRefs: [{ group: '', kind: 'Service', name: 'echo' }], rules: [{ matches: [null, { method: 'x' }, { method: { service: 3 } }] }] }, { kind: 'GRPCRoute' })];
    const vss = converted(...objs);
    expect(vss.map((v) => v.name)).to.deep.equal(['echo.shop.gateway-api', 'reviews.shop.gateway-api']);
    for (const v of vss) expect(v.spec.http.length).to.be.greaterThan(0);
  });

  it('reads Gateway API durations: up to four parts of h, m, s, ms', () => {
    expect(gatewayDurationMs('1h2m3s4ms')).to.equal(3_723_004);
    expect(gatewayDurationMs('0s')).to.equal(0);
    for (const bad of ['', '1.5s', '1d', '1s1s1s1s1s', '123456s', 5, null]) expect(gatewayDurationMs(bad), String(bad)).to.equal(undefined);
  });
});
