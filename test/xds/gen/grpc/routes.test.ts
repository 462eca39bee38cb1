import { expect } from 'chai';
import { generateGrpc } from '../../../../src/xds/gen/grpc/index.js';
import { TypeUrls, ExtensionTypeUrls, GrpcXds } from '../../../../src/core/constants.js';
import { DEFAULT_RETRY_ON, grpcCode } from '../../../../src/xds/gen/grpc/http-route.js';
import { grpcDecode } from './grpc-accepts.js';
import { RATINGS, REVIEWS, grpcNode, meshObjects, sample, snapshot, yaml } from './fixture.js';
import type { KubeObject } from '../../../../src/core/kube.js';

const R = `${REVIEWS}:9080`;
const cluster = (subset: string, host = REVIEWS) => `outbound|9080|${subset}|${host}`;

function routeConfig(extra: KubeObject[], name = R, node = grpcNode()): any {
  const out = generateGrpc(snapshot(extra), node, TypeUrls.route, [name]);
  expect(out).to.have.length(1);
  const verdict = grpcDecode(TypeUrls.route, out[0]!.resource);
  expect(verdict.error, verdict.error).to.equal(undefined);
  return out[0]!.resource;
}
const routesOf = (rc: any): any[] => rc.virtual_hosts[0].routes;
const vsTo = (subset: string) =>
  yaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec: {hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: ${subset}}}]}]}`);

describe('gRPC generator: routes', () => {
  it('a service without a VirtualService gets one default route with Istio default retries', () => {
    const rc = routeConfig([]);
    expect(rc.name).to.equal(R);
    expect(rc.virtual_hosts[0].domains).to.include.members([R, 'reviews:9080', 'reviews.default:9080', 'reviews.default.svc:9080', REVIEWS, 'reviews']);
    expect(routesOf(rc)).to.deep.equal([
      { name: 'default', match: { prefix: '/' }, route: { cluster: cluster(''), retry_policy: { retry_on: DEFAULT_RETRY_ON, num_retries: { value: 2 } } } },
    ]);
  });

  it('short names are only domains for nodes of the same namespace', () => {
    const rc = routeConfig([], R, grpcNode('other'));
    expect(rc.virtual_hosts[0].domains).to.include('reviews.default:9080').and.not.include('reviews:9080');
  });

  const splits: Array<{ file: string; want: Array<[string, number]> }> = [
    { file: 'virtual-service-reviews-90-10.yaml', want: [[cluster('v1'), 90], [cluster('v2'), 10]] },
    { file: 'virtual-service-reviews-50-v3.yaml', want: [[cluster('v1'), 50], [cluster('v3'), 50]] },
    { file: 'virtual-service-reviews-80-20.yaml', want: [[cluster('v1'), 80], [cluster('v2'), 20]] },
  ];
  for (const s of splits) {
    it(`weighted clusters from ${s.file}`, () => {
      const [route] = routesOf(routeConfig(sample(s.file)));
      expect(route.match).to.deep.equal({ prefix: '/' });
      expect(route.route.weighted_clusters.clusters).to.deep.equal(s.want.map(([name, w]) => ({ name, weight: { value: w } })));
    });
  }

  it('one destination is a plain cluster (virtual-service-reviews-v3)', () => {
    expect(routesOf(routeConfig(sample('virtual-service-reviews-v3.yaml')))[0].route.cluster).to.equal(cluster('v3'));
  });

  it('header match for jason (virtual-service-reviews-test-v2) then the catch-all', () => {
    const routes = routesOf(routeConfig(sample('virtual-service-reviews-test-v2.yaml')));
    expect(routes.map((r) => [r.match, r.route.cluster])).to.deep.equal([
      [{ prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] }, cluster('v2')],
      [{ prefix: '/' }, cluster('v1')],
    ]);
  });

  it('fault abort (ratings-test-abort): an HTTPFault keyed by the fault filter name, 100 %', () => {
    const routes = routesOf(routeConfig(sample('virtual-service-ratings-test-abort.yaml'), `${RATINGS}:9080`));
    expect(routes[0].typed_per_filter_config).to.deep.equal({
      [GrpcXds.faultFilter]: { '@type': ExtensionTypeUrls.fault, abort: { http_status: 500, percentage: { numerator: 1_000_000, denominator: 'MILLION' } } },
    });
    expect(routes[1]).to.not.have.property('typed_per_filter_config');
  });

  it('fault delay (ratings-test-delay): 7 s fixed delay', () => {
    const [route] = routesOf(routeConfig(sample('virtual-service-ratings-test-delay.yaml'), `${RATINGS}:9080`));
    expect(route.typed_per_filter_config[GrpcXds.faultFilter].delay).to.deep.equal({ fixed_delay: { seconds: 7, nanos: 0 }, percentage: { numerator: 1_000_000, denominator: 'MILLION' } });
  });

  const vs = (http: string) =>
    yaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
${http}`);

  const table: Array<{ name: string; http: string; check: (routes: any[]) => void }> = [
    {
      name: 'retries with gRPC status names, per-try timeout, backoff',
      http: `  - retries: {attempts: 3, perTryTimeout: 0.5s, retryOn: "unavailable,internal,503", backoff: 50ms}
    route: [{destination: {host: reviews}}]`,
      check: ([r]) =>
        expect(r.route.retry_policy).to.deep.equal({
          retry_on: 'unavailable,internal,retriable-status-codes',
          num_retries: { value: 3 },
          per_try_timeout: { seconds: 0, nanos: 500_000_000 },
          retriable_status_codes: [503],
          retry_back_off: { base_interval: { seconds: 0, nanos: 50_000_000 }, max_interval: { seconds: 0, nanos: 500_000_000 } },
        }),
    },
    { name: 'attempts 0 disables retries', http: `  - retries: {attempts: 0}\n    route: [{destination: {host: reviews}}]`, check: ([r]) => expect(r.route).to.not.have.property('retry_policy') },
    {
      name: 'timeout becomes max_stream_duration (what gRPC reads) and the route timeout',
      http: `  - timeout: 1.5s\n    route: [{destination: {host: reviews}}]`,
      check: ([r]) => {
        const d = { seconds: 1, nanos: 500_000_000 };
        expect(r.route.timeout).to.deep.equal(d);
        expect(r.route.max_stream_duration).to.deep.equal({ max_stream_duration: d, grpc_timeout_header_max: d });
      },
    },
    {
      name: 'uri exact/prefix/regex on the gRPC path, ignoreUriCase, headers prefix/regex/present, withoutHeaders',
      http: `  - match:
    - uri: {exact: /pkg.Svc/Get}
      ignoreUriCase: true
    - uri: {prefix: /pkg.Svc/}
      headers: {X-Tier: {prefix: gold}, x-any: {}}
    - uri: {regex: "/pkg\\\\.Svc/(Get|List)"}
      withoutHeaders: {x-canary: {regex: "t.*"}}
    route: [{destination: {host: reviews, subset: v2}}]`,
      check: (rs) => {
        expect(rs.map((r) => r.match)).to.deep.equal([
          { path: '/pkg.Svc/Get', case_sensitive: { value: false } },
          { prefix: '/pkg.Svc/', headers: [{ name: 'x-any', present_match: true }, { name: 'x-tier', string_match: { prefix: 'gold' } }] },
          { safe_regex: { google_re2: {}, regex: '/pkg\\.Svc/(Get|List)' }, headers: [{ name: 'x-canary', string_match: { safe_regex: { google_re2: {}, regex: 't.*' } }, invert_match: true, treat_missing_header_as_empty: true }] },
        ]);
        expect(rs.map((r) => r.name)).to.deep.equal(['reviews.default.0.0', 'reviews.default.0.1', 'reviews.default.0.2']);
      },
    },
    {
      name: 'regex * is a presence check, as istiod (not an RE2 expression)',
      http: `  - match: [{headers: {x-user: {regex: '*'}}, withoutHeaders: {x-test: {regex: '*'}}}]
    route: [{destination: {host: reviews}}]`,
      check: ([r]) => expect(r.match.headers).to.deep.equal([{ name: 'x-user', present_match: true }, { name: 'x-test', present_match: true, invert_match: true }]),
    },
    {
      name: 'matches no gRPC call from this node can satisfy are dropped',
      http: `  - name: never
    match:
    - queryParams: {a: {exact: b}}
    - method: {exact: GET}
    - port: 1234
    - sourceLabels: {app: productpage}
    - sourceNamespace: elsewhere
    - gateways: [some-gateway]
    route: [{destination: {host: reviews, subset: v2}}]
  - name: post
    match: [{method: {exact: POST}, port: 9080, sourceNamespace: default}]
    route: [{destination: {host: reviews, subset: v3}}]`,
      check: (rs) => expect(rs.map((r) => [r.name, r.route.cluster])).to.deep.equal([['post', cluster('v3')]]),
    },
    {
      name: 'redirect and direct responses are skipped (gRPC NACKs them)',
      http: `  - match: [{uri: {prefix: /a}}]
    redirect: {uri: /b}
  - match: [{uri: {prefix: /c}}]
    directResponse: {status: 503}
  - route: [{destination: {host: reviews}}]`,
      check: (rs) => expect(rs.map((r) => r.route.cluster)).to.deep.equal([cluster('')]),
    },
    {
      name: 'weights: zero weights are left out; no weights at all split evenly',
      http: `  - match: [{headers: {a: {exact: "1"}}}]
    route: [{destination: {host: reviews, subset: v1}, weight: 100}, {destination: {host: reviews, subset: v2}, weight: 0}]
  - route: [{destination: {host: reviews, subset: v1}}, {destination: {host: reviews, subset: v2}}]`,
      check: ([a, b]) => {
        expect(a.route.cluster).to.equal(cluster('v1'));
        expect(b.route.weighted_clusters.clusters.map((c: any) => c.weight.value)).to.deep.equal([1, 1]);
      },
    },
    {
      name: 'destinations in another service and with an explicit port',
      http: `  - route: [{destination: {host: ratings, port: {number: 9080}}, weight: 30}, {destination: {host: details.default.svc.cluster.local}, weight: 70}]`,
      check: ([r]) =>
        expect(r.route.weighted_clusters.clusters.map((c: any) => c.name)).to.deep.equal([cluster('', RATINGS), cluster('', 'details.default.svc.cluster.local')]),
    },
    {
      name: 'fault abort by gRPC status and delay with a percentage',
      http: `  - fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 12.5}}, delay: {fixedDelay: 100ms, percent: 5}}
    route: [{destination: {host: reviews}}]`,
      check: ([r]) =>
        expect(r.typed_per_filter_config[GrpcXds.faultFilter]).to.deep.equal({
          '@type': ExtensionTypeUrls.fault,
          abort: { grpc_status: 14, percentage: { numerator: 125_000, denominator: 'MILLION' } },
          delay: { fixed_delay: { seconds: 0, nanos: 100_000_000 }, percentage: { numerator: 50_000, denominator: 'MILLION' } },
        }),
    },
    {
      name: 'faults without a percentage fault no call (0 %, written out for gRPC), as istiod',
      http: `  - fault: {abort: {httpStatus: 503}, delay: {fixedDelay: 1s}}
    route: [{destination: {host: reviews}}]`,
      check: ([r]) => {
        const f = r.typed_per_filter_config[GrpcXds.faultFilter];
        expect([f.abort.percentage, f.delay.percentage]).to.deep.equal([{ numerator: 0, denominator: 'MILLION' }, { numerator: 0, denominator: 'MILLION' }]);
      },
    },
  ];
  for (const c of table) {
    it(c.name, () => c.check(routesOf(routeConfig(vs(c.http)))));
  }

  it('ring hash: header and source-IP hash policies from the DestinationRule (subset level overrides)', () => {
    const dr = yaml(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: X-User}}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}, trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true}}}}
  - {name: v3, labels: {version: v3}, trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}}`);
    const base = meshObjects().filter((o) => !(o.kind === 'DestinationRule' && o.metadata.name === 'reviews'));
    const hashes = (subset: string) => {
      const rc = generateGrpc(snapshot([...dr, ...vsTo(subset)], base), grpcNode(), TypeUrls.route, [R])[0]!.resource as any;
      expect(grpcDecode(TypeUrls.route, rc).error).to.equal(undefined);
      return rc.virtual_hosts[0].routes[0].route.hash_policy;
    };
    expect(hashes('v1')).to.deep.equal([{ header: { header_name: 'x-user' } }]);
    expect(hashes('v2')).to.deep.equal([{ filter_state: { key: 'io.grpc.channel_id' } }]);
    // v3 balances without hashing, but istiod's route hashing (hashForHTTPDestination) falls back to the rule's.
    expect(hashes('v3')).to.deep.equal([{ header: { header_name: 'x-user' } }]);
    const noVs = generateGrpc(snapshot(dr, base), grpcNode(), TypeUrls.route, [R])[0]!.resource as any;
    expect(noVs.virtual_hosts[0].routes[0].route.hash_policy).to.deep.equal([{ header: { header_name: 'x-user' } }]);
  });

  it('gRPC status names', () => {
    expect(grpcCode('unavailable')).to.equal(14);
    expect(grpcCode('DEADLINE_EXCEEDED')).to.equal(4);
    expect(grpcCode('14')).to.equal(14);
    expect(grpcCode('nope')).to.equal(undefined);
    expect(grpcCode(17)).to.equal(undefined);
  });

  it('a VirtualService bound only to a gateway does not route mesh clients', () => {
    const rc = routeConfig(yaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: gw}
spec: {hosts: [reviews], gateways: [bookinfo-gateway], http: [{route: [{destination: {host: reviews, subset: v3}}]}]}`));
    expect(routesOf(rc)[0].name).to.equal('default');
  });

  it('unknown route names are left out; a wildcard gets every service port', () => {
    expect(generateGrpc(snapshot(), grpcNode(), TypeUrls.route, ['nope:1', 'reviews:9080', '9080'])).to.deep.equal([]);
    expect(generateGrpc(snapshot(), grpcNode(), TypeUrls.route).map((r) => r.name)).to.have.length(3);
  });
});
