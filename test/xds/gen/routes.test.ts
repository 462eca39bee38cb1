import { expect } from 'chai';
import { generate } from '../../../src/xds/gen/index.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { PRODUCTPAGE, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

/** The head of a DestinationRule for reviews; the tests that hash append its trafficPolicy and subsets. */
const REVIEWS_HASH_RULE = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews-hash, creationTimestamp: '2000-01-01T00:00:00Z' }
spec:
  host: reviews`;

/** Routes of the reviews virtual host on port 9080 as productpage's sidecar sees them, given extra YAML. */
function reviewsRoutes(yaml: string, samples = ['destination-rule-all.yaml']): any[] {
  const snap = buildSnapshot([...bookinfo(...samples), ...yamlObjects(yaml)]);
  const routes = generate(snap, proxy(PRODUCTPAGE), TypeUrls.route);
  expectValid(TypeUrls.route, routes);
  const vh = byName(routes, '9080').virtual_hosts.find((v: any) => v.name === 'reviews.default.svc.cluster.local:9080');
  return vh.routes;
}

const vs = (http: string): string => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
${http}`;

const V1 = 'outbound|9080|v1|reviews.default.svc.cluster.local';
const V2 = 'outbound|9080|v2|reviews.default.svc.cluster.local';

describe('Envoy RDS from VirtualServices', () => {
  const table: Array<{ name: string; http: string; check: (routes: any[]) => void }> = [
    {
      name: 'weighted destinations with subsets',
      http: `  - route:
    - { destination: { host: reviews, subset: v1 }, weight: 75 }
    - { destination: { host: reviews, subset: v2 }, weight: 25 }`,
      check: (r) => expect(r[0].route.weighted_clusters.clusters.map((c: any) => [c.name, c.weight.value])).to.deep.equal([[V1, 75], [V2, 25]]),
    },
    {
      name: 'uri, header, method, authority, query and case-insensitive matches, in order',
      http: `  - match:
    - uri: { exact: /a }
      ignoreUriCase: true
    - uri: { regex: '/b/[0-9]+' }
      headers: { end-user: { exact: jason }, X-Trace: {} }
      method: { exact: POST }
      authority: { prefix: reviews }
      queryParams: { debug: { exact: '1' } }
    route: [{ destination: { host: reviews, subset: v2 } }]
  - route: [{ destination: { host: reviews, subset: v1 } }]`,
      check: (r) => {
        expect(r.map((x: any) => x.route.cluster)).to.deep.equal([V2, V2, V1]);
        expect(r[0].match).to.deep.equal({ path: '/a', case_sensitive: { value: false } });
        expect(r[1].match).to.deep.equal({
          safe_regex: { regex: '/b/[0-9]+' },
          headers: [
            { name: 'end-user', string_match: { exact: 'jason' } },
            { name: 'x-trace', present_match: true },
            { name: ':method', string_match: { exact: 'POST' } },
            { name: ':authority', string_match: { prefix: 'reviews' } },
          ],
          query_parameters: [{ name: 'debug', string_match: { exact: '1' } }],
        });
        expect(r[2].match).to.deep.equal({ prefix: '/' });
      },
    },
    {
      name: 'withoutHeaders treat a missing header as empty (not for presence checks); regex `*` is a presence check',
      http: `  - match:
    - withoutHeaders: { x-canary: { exact: 'yes' }, x-debug: {} }
      headers: { x-user: { regex: '*' } }
      queryParams: { q: { regex: '*' } }
    route: [{ destination: { host: reviews, subset: v2 } }]`,
      check: (r) =>
        expect(r[0].match).to.deep.equal({
          prefix: '/',
          headers: [
            { name: 'x-user', present_match: true },
            { name: 'x-canary', string_match: { exact: 'yes' }, invert_match: true, treat_missing_header_as_empty: true },
            { name: 'x-debug', present_match: true, invert_match: true },
          ],
          query_parameters: [{ name: 'q', present_match: true }],
        }),
    },
    {
      name: 'retries (status codes split out); the timeout on the route and as the grpc-timeout cap, streams not limited',
      http: `  - route: [{ destination: { host: reviews, subset: v1 } }]
    timeout: 1.5s
    retries: { attempts: 3, perTryTimeout: 500ms, retryOn: 'unavailable,503,5xx' }`,
      check: (r) => {
        expect(r[0].route.timeout).to.deep.equal({ seconds: 1, nanos: 500_000_000 });
        expect(r[0].route.max_grpc_timeout).to.deep.equal({ seconds: 1, nanos: 500_000_000 });
        expect(r[0].route.max_stream_duration).to.equal(undefined);
        expect(r[0].route.retry_policy).to.deep.include({ num_retries: { value: 3 }, per_try_timeout: { seconds: 0, nanos: 500_000_000 }, retry_on: 'unavailable,5xx,retriable-status-codes', retriable_status_codes: [503] });
      },
    },
    {
      name: 'retries without positive attempts (0, negative, or `{}`) disable retries; no retries keeps Istio’s default, previous hosts avoided',
      http: `  - match: [{ uri: { prefix: /x } }]
    route: [{ destination: { host: reviews } }]
    retries: { attempts: 0 }
  - match: [{ uri: { prefix: /y } }]
    route: [{ destination: { host: reviews } }]
    retries: {}
  - match: [{ uri: { prefix: /z } }]
    route: [{ destination: { host: reviews } }]
    retries: { attempts: -1, perTryTimeout: 1s }
  - route: [{ destination: { host: reviews } }]`,
      check: (r) => {
        expect(r.slice(0, 3).map((x: any) => x.route.retry_policy)).to.deep.equal([undefined, undefined, undefined]);
        expect(r[3].route.retry_policy).to.deep.equal({
          retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
          num_retries: { value: 2 },
          host_selection_retry_max_attempts: 5,
          retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } }],
        });
        expect([r[3].route.timeout, r[3].route.max_grpc_timeout]).to.deep.equal([{ seconds: 0, nanos: 0 }, { seconds: 0, nanos: 0 }]);
      },
    },
    {
      name: 'retryIgnorePreviousHosts false drops the host predicate; backoff sets the base interval',
      http: `  - route: [{ destination: { host: reviews } }]
    retries: { attempts: 4, retryIgnorePreviousHosts: false, backoff: 250ms }`,
      check: (r) => {
        expect(r[0].route.retry_policy.retry_host_predicate).to.equal(undefined);
        expect(r[0].route.retry_policy.num_retries).to.deep.equal({ value: 4 });
        expect(r[0].route.retry_policy.retry_back_off).to.deep.equal({ base_interval: { seconds: 0, nanos: 250_000_000 } });
      },
    },
    {
      name: 'fault injection: delay and abort with percentages',
      http: `  - fault:
      delay: { fixedDelay: 7s, percentage: { value: 12.5 } }
      abort: { httpStatus: 503, percentage: { value: 100 } }
    route: [{ destination: { host: reviews, subset: v1 } }]`,
      check: (r) =>
        expect(r[0].typed_per_filter_config['envoy.filters.http.fault']).to.deep.equal({
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
          delay: { fixed_delay: { seconds: 7, nanos: 0 }, percentage: { numerator: 125000, denominator: 'MILLION' } },
          abort: { http_status: 503, percentage: { numerator: 1000000, denominator: 'MILLION' } },
        }),
    },
    {
      name: 'gRPC abort status; without a percentage an abort has none (0% to Envoy)',
      http: `  - fault: { abort: { grpcStatus: UNAVAILABLE } }
    route: [{ destination: { host: reviews } }]`,
      check: (r) => expect(r[0].typed_per_filter_config['envoy.filters.http.fault'].abort).to.deep.equal({ grpc_status: 14 }),
    },
    {
      name: 'fault percentages as istiod: a delay without one is 0%, the old integer percent still counts, an empty percentage is 0%',
      http: `  - match: [{ uri: { prefix: /a } }]
    fault: { delay: { fixedDelay: 1s }, abort: { httpStatus: 500, percentage: {} } }
    route: [{ destination: { host: reviews } }]
  - fault: { delay: { fixedDelay: 2s, percent: 30 } }
    route: [{ destination: { host: reviews } }]`,
      check: (r) => {
        expect(r[0].typed_per_filter_config['envoy.filters.http.fault']).to.deep.include({
          delay: { fixed_delay: { seconds: 1, nanos: 0 }, percentage: { numerator: 0, denominator: 'HUNDRED' } },
          abort: { http_status: 500, percentage: { numerator: 0, denominator: 'MILLION' } },
        });
        expect(r[1].typed_per_filter_config['envoy.filters.http.fault'].delay.percentage).to.deep.equal({ numerator: 30, denominator: 'HUNDRED' });
      },
    },
    {
      name: 'mirror with percentage, rewrite, header edits on route and destination',
      http: `  - route:
    - destination: { host: reviews, subset: v1 }
      headers: { request: { set: { x-dest: v1 } } }
    mirror: { host: reviews, subset: v2 }
    mirrorPercentage: { value: 50 }
    rewrite: { uri: /new, authority: reviews.internal }
    headers:
      request: { set: { x-a: '1' }, add: { x-b: '2' }, remove: [x-c] }
      response: { remove: [server] }`,
      check: (r) => {
        expect(r[0].route.request_mirror_policies).to.deep.equal([{ cluster: V2, runtime_fraction: { default_value: { numerator: 500000, denominator: 'MILLION' } } }]);
        expect(r[0].route.prefix_rewrite).to.equal('/new');
        expect(r[0].route.host_rewrite_literal).to.equal('reviews.internal');
        expect(r[0].request_headers_to_add).to.deep.equal([
          { header: { key: 'x-a', value: '1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
          { header: { key: 'x-b', value: '2' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' },
          { header: { key: 'x-dest', value: 'v1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
        ]);
        expect(r[0].request_headers_to_remove).to.deep.equal(['x-c']);
        expect(r[0].response_headers_to_remove).to.deep.equal(['server']);
      },
    },
    {
      name: 'host and :authority edits become host_rewrite_literal (set before add); pseudo-headers and Host are never edited',
      http: `  - match: [{ uri: { prefix: /a } }]
    headers:
      request: { set: { Host: set.example }, add: { ':authority': add.example, x-a: '1' }, remove: [host, ':path', x-b] }
      response: { set: { ':status': '200', x-c: '2' }, remove: [':status'] }
    route: [{ destination: { host: reviews, subset: v1 } }]
  - match: [{ uri: { prefix: /b } }]
    rewrite: { authority: rewrite.example }
    headers: { request: { set: { host: header.example } } }
    route: [{ destination: { host: reviews, subset: v1 }, headers: { request: { set: { host: dest.example } } } }]
  - match: [{ uri: { prefix: /c } }]
    route: [{ destination: { host: reviews, subset: v1 }, headers: { request: { add: { host: dest.example } } } }]
  - route:
    - { destination: { host: reviews, subset: v1 }, weight: 60, headers: { request: { set: { ':authority': v1.example } } } }
    - { destination: { host: reviews, subset: v2 }, weight: 40 }`,
      check: (r) => {
        expect(r[0].route.host_rewrite_literal).to.equal('set.example');
        expect(r[0].request_headers_to_add).to.deep.equal([{ header: { key: 'x-a', value: '1' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' }]);
        expect(r[0].request_headers_to_remove).to.deep.equal(['x-b']);
        expect(r[0].response_headers_to_add).to.deep.equal([{ header: { key: 'x-c', value: '2' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }]);
        expect(r[0].response_headers_to_remove).to.equal(undefined);
        expect(r[1].route.host_rewrite_literal).to.equal('rewrite.example');
        expect(r[1].request_headers_to_add).to.equal(undefined);
        expect(r[2].route.host_rewrite_literal).to.equal('dest.example');
        expect(r[3].route.host_rewrite_literal).to.equal(undefined);
        expect(r[3].route.weighted_clusters.clusters).to.deep.equal([
          { name: V1, weight: { value: 60 }, host_rewrite_literal: 'v1.example' },
          { name: V2, weight: { value: 40 } },
        ]);
      },
    },
    {
      name: 'regex rewrite',
      http: `  - rewrite: { uriRegexRewrite: { match: '^/v1/(.*)$', rewrite: '/\\1' } }
    route: [{ destination: { host: reviews } }]`,
      check: (r) => expect(r[0].route.regex_rewrite).to.deep.equal({ pattern: { regex: '^/v1/(.*)$' }, substitution: '/\\1' }),
    },
    {
      name: 'redirect and direct response',
      http: `  - match: [{ uri: { exact: /old } }]
    redirect: { uri: /new, authority: example.com, redirectCode: 308 }
  - directResponse: { status: 418, body: { string: teapot } }`,
      check: (r) => {
        expect(r[0].redirect).to.deep.equal({ path_redirect: '/new', host_redirect: 'example.com', response_code: 'PERMANENT_REDIRECT' });
        expect(r[1].direct_response).to.deep.equal({ status: 418, body: { inline_string: 'teapot' } });
      },
    },
    {
      name: 'CORS policy per route',
      http: `  - corsPolicy:
      allowOrigins: [{ exact: 'https://a.com' }, { regex: 'https://.*\\.b\\.com' }]
      allowMethods: [GET, POST]
      allowHeaders: [x-a]
      exposeHeaders: [x-b]
      maxAge: 24h
      allowCredentials: true
    route: [{ destination: { host: reviews } }]`,
      check: (r) =>
        expect(r[0].typed_per_filter_config['envoy.filters.http.cors']).to.deep.equal({
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
          allow_origin_string_match: [{ exact: 'https://a.com' }, { safe_regex: { regex: 'https://.*\\.b\\.com' } }],
          allow_methods: 'GET,POST',
          allow_headers: 'x-a',
          expose_headers: 'x-b',
          max_age: '86400',
          allow_credentials: { value: true },
          forward_not_matching_preflights: { value: true },
        }),
    },
    {
      name: 'CORS unmatchedPreflights IGNORE keeps unmatched preflights from the app; retryRemoteLocalities retries in other localities',
      http: `  - corsPolicy: { allowOrigins: [{ exact: 'https://a.com' }], unmatchedPreflights: IGNORE }
    retries: { attempts: 2, retryRemoteLocalities: true }
    route: [{ destination: { host: reviews } }]`,
      check: (r) => {
        expect(r[0].typed_per_filter_config['envoy.filters.http.cors'].forward_not_matching_preflights).to.deep.equal({ value: false });
        expect(r[0].route.retry_policy.retry_priority).to.deep.equal({
          name: 'envoy.retry_priorities.previous_priorities',
          typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig', update_frequency: 2 },
        });
      },
    },
    {
      name: 'routes for another port, source labels or gateways are left out',
      http: `  - match: [{ port: 8080 }]
    route: [{ destination: { host: reviews, subset: v2 } }]
  - match: [{ sourceLabels: { app: ratings } }]
    route: [{ destination: { host: reviews, subset: v2 } }]
  - match: [{ gateways: [bookinfo-gateway] }]
    route: [{ destination: { host: reviews, subset: v2 } }]
  - match: [{ sourceLabels: { app: productpage } }]
    route: [{ destination: { host: reviews, subset: v1 } }]`,
      check: (r) => expect(r.map((x: any) => x.route.cluster)).to.deep.equal([V1]),
    },
    {
      name: 'a root rule whose delegate does not exist is left out, whatever else it carries',
      http: `  - match: [{ uri: { prefix: /d } }]
    delegate: { name: reviews-delegate }
    directResponse: { status: 200 }
  - match: [{ uri: { prefix: /e } }]
    delegate: { namespace: other }
  - route: [{ destination: { host: reviews, subset: v1 } }]`,
      check: (r) => expect(r.map((x: any) => x.route?.cluster)).to.deep.equal([V1]),
    },
    {
      name: 'inputs Istio accepts but Envoy cannot express: status 600 and delay without fixedDelay inject nothing, port 0 matches every port',
      http: `  - match: [{ port: 0, uri: { prefix: /a } }]
    fault: { delay: { percentage: { value: 10 } }, abort: { httpStatus: 600 } }
    route: [{ destination: { host: reviews, subset: v1 } }]
  - match: [{ uri: { prefix: /b } }]
    directResponse: { status: 600 }
  - fault: { delay: { fixedDelay: 1s, percent: 150 } }
    mirror: { host: reviews, subset: v2 }
    mirrorPercentage: { value: 0.00005 }
    route: [{ destination: { host: reviews, subset: v1 } }]`,
      check: (r) => {
        expect(r.map((x: any) => x.match.prefix)).to.deep.equal(['/a', '/']);
        expect(r[0].typed_per_filter_config).to.equal(undefined);
        expect(r[1].typed_per_filter_config['envoy.filters.http.fault'].delay.percentage).to.deep.equal({ numerator: 100, denominator: 'HUNDRED' });
        expect(r[1].route.request_mirror_policies[0].runtime_fraction.default_value).to.deep.equal({ numerator: 1, denominator: 'MILLION' });
      },
    },
    {
      name: 'a route to an unknown host or subset still names its cluster (Envoy answers 503), no throw',
      http: `  - route: [{ destination: { host: nowhere.example.com, port: { number: 80 } } }, { destination: { host: reviews, subset: v9 }, weight: 0 }]`,
      check: (r) => expect(r[0].route.cluster).to.equal('outbound|80||nowhere.example.com'),
    },
  ];
  for (const t of table) it(t.name, () => t.check(reviewsRoutes(vs(t.http))));

  it('consistent hashing in the DestinationRule becomes the route hash policy (default route too)', () => {
    const routes = reviewsRoutes(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews-hash, creationTimestamp: '2000-01-01T00:00:00Z' }
spec:
  host: reviews
  trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: x-user } } }`, []);
    expect(routes[0].route.hash_policy).to.deep.equal([{ header: { header_name: 'x-user' } }]);
  });

  it('retries stay on the hashed host only for a single destination that hashes; the default route always avoids previous hosts', () => {
    const hashing = `${REVIEWS_HASH_RULE}
  trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: x-user } } }
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]`;
    const predicate = (route: any): boolean => route.retry_policy.retry_host_predicate !== undefined;
    const routes = reviewsRoutes(`${hashing}
---
${vs(`  - match: [{ uri: { prefix: /one } }]
    route: [{ destination: { host: reviews, subset: v1 } }]
  - match: [{ uri: { prefix: /sticky-off } }]
    route: [{ destination: { host: reviews, subset: v1 } }]
    retries: { attempts: 3, retryIgnorePreviousHosts: true }
  - route:
    - { destination: { host: reviews, subset: v1 }, weight: 50 }
    - { destination: { host: reviews, subset: v2 }, weight: 50 }`)}`, []);
    expect(routes.map((x: any) => [x.route.hash_policy !== undefined, predicate(x.route)])).to.deep.equal([[true, false], [true, true], [true, true]]);
    const defaults = reviewsRoutes(hashing, []);
    expect(defaults[0].route.hash_policy).to.deep.equal([{ header: { header_name: 'x-user' } }]);
    expect(predicate(defaults[0].route)).to.equal(true);
  });

  it('route hashing follows istiod’s precedence: port-level entries only for destinations naming their port; weighted destinations each add theirs', () => {
    const hashing = `${REVIEWS_HASH_RULE}
  trafficPolicy:
    loadBalancer: { consistentHash: { httpHeaderName: x-user } }
    portLevelSettings: [{ port: { number: 9080 }, loadBalancer: { consistentHash: { httpQueryParameterName: u } } }]
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 }, trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true } } } }]`;
    const routes = reviewsRoutes(`${hashing}
---
${vs(`  - match: [{ uri: { prefix: /a } }]
    route: [{ destination: { host: reviews, subset: v1 } }]
  - match: [{ uri: { prefix: /b } }]
    route: [{ destination: { host: reviews, subset: v1, port: { number: 9080 } } }]
  - route:
    - { destination: { host: reviews, subset: v1 }, weight: 50 }
    - { destination: { host: reviews, subset: v2 }, weight: 50 }`)}`, []);
    expect(routes.map((r: any) => r.route.hash_policy)).to.deep.equal([
      [{ header: { header_name: 'x-user' } }],
      [{ query_parameter: { name: 'u' } }],
      [{ header: { header_name: 'x-user' } }, { connection_properties: { source_ip: true } }],
    ]);
    expect(reviewsRoutes(hashing, [])[0].route.hash_policy).to.deep.equal([{ query_parameter: { name: 'u' } }]);
  });

  it('a cookie hash carries its path, ttl and attributes (the cookie Envoy sets when the request has none)', () => {
    const routes = reviewsRoutes(`${REVIEWS_HASH_RULE}
  trafficPolicy:
    loadBalancer: { consistentHash: { httpCookie: { name: user, path: /, ttl: 60s, attributes: [{ name: SameSite, value: Strict }, { name: Secure }] } } }`, []);
    expect(routes[0].route.hash_policy).to.deep.equal([
      { cookie: { name: 'user', ttl: { seconds: 60, nanos: 0 }, path: '/', attributes: [{ name: 'SameSite', value: 'Strict' }, { name: 'Secure' }] } },
    ]);
  });

  it('virtual host domains: every short form, cluster IP, no duplicates across hosts', () => {
    const snap = buildSnapshot([
      ...bookinfo(),
      ...yamlObjects(`
apiVersion: v1
kind: Service
metadata: { name: web, namespace: other }
spec: { clusterIP: 10.96.1.1, ports: [{ name: http, port: 9080 }] }`),
    ]);
    const rc = byName(generate(snap, proxy(PRODUCTPAGE), TypeUrls.route), '9080');
    const web = rc.virtual_hosts.find((v: any) => v.name === 'web.other.svc.cluster.local:9080');
    expect(web.domains).to.deep.equal([
      'web.other.svc.cluster.local', 'web.other.svc.cluster.local:9080', 'web.other', 'web.other:9080', 'web.other.svc', 'web.other.svc:9080',
      'web.other.svc.cluster', 'web.other.svc.cluster:9080', '10.96.1.1', '10.96.1.1:9080',
    ]);
    const all = rc.virtual_hosts.flatMap((v: any) => v.domains);
    expect(new Set(all).size).to.equal(all.length);
    expect(rc.virtual_hosts.at(-1)).to.deep.include({ name: 'allow_any', domains: ['*'] });
    expect(rc.virtual_hosts.at(-1).routes[0].route).to.deep.equal({ cluster: 'PassthroughCluster', timeout: { seconds: 0, nanos: 0 }, max_grpc_timeout: { seconds: 0, nanos: 0 } });
    const def = rc.virtual_hosts.find((v: any) => v.name === 'web.other.svc.cluster.local:9080').routes[0].route;
    expect([def.timeout, def.max_grpc_timeout, def.max_stream_duration]).to.deep.equal([{ seconds: 0, nanos: 0 }, { seconds: 0, nanos: 0 }, undefined]);
  });

  it('malformed VirtualServices never throw and never produce invalid routes', () => {
    const bad = [
      `  - route: 'x'`,
      `  - route: [{ destination: 'x' }, null, { destination: { host: 7 } }]`,
      `  - match: 'x'
    route: [{ destination: { host: reviews } }]
    timeout: forever
    retries: { attempts: -1, perTryTimeout: x, retryOn: 7 }
    fault: { delay: { fixedDelay: x }, abort: { httpStatus: 42 } }
    corsPolicy: 'x'
    mirror: 'x'
    rewrite: 7
    headers: { request: { set: [1] } }`,
      `  - directResponse: { status: 99 }`,
      `  - redirect: 'x'`,
      `  - match: [{ uri: 'x', headers: { a: 7 }, queryParams: 'x', port: 'x' }]
    route: [{ destination: { host: reviews, port: { number: 'x' } }, weight: 'x' }]`,
      `  - null`,
    ];
    for (const http of bad) expect(() => reviewsRoutes(vs(http)), http).not.to.throw();
    for (const spec of ['hosts: 7', 'http: 7', 'hosts: [reviews]\n  http: {}', 'hosts: [null]', 'gateways: 7\n  hosts: [reviews]']) {
      const yaml = `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: x }\nspec:\n  ${spec}`;
      expect(() => reviewsRoutes(yaml), spec).not.to.throw();
    }
  });
});

describe('Envoy RDS: match statPrefix', () => {
  it("names the route's statistics, per match", () => {
    const routes = reviewsRoutes(vs(`
  - match: [{ headers: { end-user: { exact: jason } }, statPrefix: jason }, { uri: { prefix: /v2 } }]
    route: [{ destination: { host: reviews, subset: v2 } }]`));
    expect(routes.map((r: any) => r.stat_prefix)).to.deep.equal(['jason', undefined]);
  });
});

describe('Envoy RDS: redirects, old mirror spelling, sourceNamespace', () => {
  it("redirect prefixRewrite and derivePort FROM_REQUEST_PORT, as istiod's ApplyRedirect (no explicit :80 for http)", () => {
    const routes = reviewsRoutes(vs(`
  - match: [{ uri: { prefix: /old } }]
    redirect: { prefixRewrite: /new, derivePort: FROM_REQUEST_PORT }
  - match: [{ uri: { prefix: /tls } }]
    redirect: { uri: /x, scheme: https, port: 8443 }
  - match: [{ uri: { prefix: /plain } }]
    redirect: { uri: /y, port: 80 }
  - route: [{ destination: { host: reviews } }]`));
    expect(routes[0].redirect).to.deep.equal({ prefix_rewrite: '/new', port_redirect: 9080 });
    expect(routes[1].redirect).to.deep.equal({ path_redirect: '/x', port_redirect: 8443, scheme_redirect: 'https' });
    expect(routes[2].redirect).to.deep.equal({ path_redirect: '/y' });
  });

  it('the deprecated mirror_percent spelling mirrors that share, as mirrorPercent does', () => {
    const routes = reviewsRoutes(vs(`
  - route: [{ destination: { host: reviews, subset: v1 } }]
    mirror: { host: reviews, subset: v2 }
    mirror_percent: 25`));
    expect(routes[0].route.request_mirror_policies[0].runtime_fraction.default_value).to.deep.equal({ numerator: 25, denominator: 'HUNDRED' });
  });

  it('sourceNamespace: a match applies only to proxies of that namespace (http and tcp rules)', () => {
    const http = (ns: string) =>
      reviewsRoutes(vs(`
  - match: [{ sourceNamespace: ${ns} }]
    route: [{ destination: { host: reviews, subset: v2 } }]
  - route: [{ destination: { host: reviews, subset: v1 } }]`)).map((r: any) => r.route.cluster);
    expect(http('default')).to.deep.equal([V2, V1]);
    expect(http('elsewhere')).to.deep.equal([V1]);
  });
});
