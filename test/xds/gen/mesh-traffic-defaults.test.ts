import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { generateGrpc } from '../../../src/xds/gen/grpc/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { MYSQL_SERVICE, PRODUCTPAGE, REVIEWS_GRPC_SERVICE, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';
import { grpcNode, meshObjects } from './grpc/fixture.js';

const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';
const RATINGS = 'outbound|9080||ratings.default.svc.cluster.local';
const DETAILS = 'outbound|9080||details.default.svc.cluster.local';

/** A VirtualService for reviews whose first rule retries on its own, and whose second says nothing of retries. */
const REVIEWS_VS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - match: [{ headers: { end-user: { exact: jason } } }]
    retries: { attempts: 1, retryOn: gateway-error }
    route: [{ destination: { host: reviews } }]
  - route: [{ destination: { host: reviews } }]`;

/** ratings sets its own connection pool (http only) and no outlier detection, nor keepalive time. */
const RATINGS_DR = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ratings }
spec:
  host: ratings
  trafficPolicy:
    connectionPool: { http: { http2MaxRequests: 7, h2UpgradePolicy: DO_NOT_UPGRADE }, tcp: { tcpKeepalive: { time: 30s, probes: 0 } } }`;

/** details keeps the client's protocol. */
const DETAILS_DR = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: details }
spec: { host: details, trafficPolicy: { connectionPool: { http: { useClientProtocol: true } } } }`;

function snapOf(mesh: unknown, extra = '') {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join('; '));
  const objects = [...bookinfo(), ...yamlObjects(REVIEWS_VS + '\n---' + RATINGS_DR + '\n---' + DETAILS_DR + '\n---' + REVIEWS_GRPC_SERVICE + '\n---' + MYSQL_SERVICE + extra)];
  return buildSnapshot(objects, snapshotOptions(r.value));
}

function generated(mesh: unknown, node = PRODUCTPAGE, extra = '') {
  const snap = snapOf(mesh, extra);
  const out = Object.fromEntries(([TypeUrls.cluster, TypeUrls.route, TypeUrls.listener] as const).map((t) => {
    const rs = generate(snap, proxy(node), t);
    expectValid(t, rs);
    return [t, rs];
  }));
  return { clusters: out[TypeUrls.cluster]!, routes: out[TypeUrls.route]!, listeners: out[TypeUrls.listener]! };
}

/** The routes of a service's virtual host in the route configuration of port 9080. */
const vhostRoutes = (routes: ReturnType<typeof generated>['routes'], host: string): any[] =>
  byName(routes, '9080').virtual_hosts.find((v: any) => v.name === `${host}.default.svc.cluster.local:9080`).routes;

const inboundRoute = (listeners: ReturnType<typeof generated>['listeners'], chain: string): any => {
  const c = byName(listeners, 'virtualInbound').filter_chains.find((x: any) => x.name === chain);
  return c.filters.at(-1).typed_config.route_config.virtual_hosts[0].routes[0].route;
};

const meshErrors = (mesh: unknown): string[] => {
  const r = resolveMeshConfig(mesh);
  return r.ok ? [] : r.errors;
};

describe("mesh config: Istio's defaultHttpRetryPolicy and defaultInboundHttpRetryPolicy", () => {
  it("keeps Istio's default retries when the mesh config sets none", () => {
    const { routes, listeners } = generated({}, REVIEWS_V1);
    expect(vhostRoutes(routes, 'reviews')[1].route.retry_policy).to.include({ retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes' });
    expect(vhostRoutes(routes, 'ratings')[0].route.retry_policy.num_retries).to.deep.equal({ value: 2 });
    expect(inboundRoute(listeners, 'inbound|9080||').retry_policy).to.deep.equal({ retry_on: 'reset-before-request', num_retries: { value: 2 } });
  });

  it('gives routes that set no retries, and the default routes, the mesh policy; a rule\'s own retries stay', () => {
    const { routes } = generated({ defaultHttpRetryPolicy: { attempts: 5, retryOn: '5xx,503', perTryTimeout: '2s', backoff: '50ms' } });
    const [own, none] = vhostRoutes(routes, 'reviews');
    expect(own.route.retry_policy.num_retries).to.deep.equal({ value: 1 });
    expect(own.route.retry_policy.retry_on).to.equal('gateway-error');
    for (const policy of [none.route.retry_policy, vhostRoutes(routes, 'ratings')[0].route.retry_policy]) {
      expect(policy).to.deep.include({
        num_retries: { value: 5 },
        retry_on: '5xx,retriable-status-codes',
        retriable_status_codes: [503],
        per_try_timeout: { seconds: 2, nanos: 0 },
        retry_back_off: { base_interval: { seconds: 0, nanos: 50_000_000 } },
        host_selection_retry_max_attempts: 5,
      });
      expect(policy.retry_host_predicate).to.have.length(1);
    }
  });

  it('turns default retries off with no positive attempts, as istiod', () => {
    for (const off of [{}, { attempts: 0 }]) {
      const { routes } = generated({ defaultHttpRetryPolicy: off });
      expect(vhostRoutes(routes, 'reviews')[1].route, JSON.stringify(off)).to.not.have.property('retry_policy');
      expect(vhostRoutes(routes, 'ratings')[0].route).to.not.have.property('retry_policy');
      expect(vhostRoutes(routes, 'reviews')[0].route.retry_policy.num_retries).to.deep.equal({ value: 1 });
    }
  });

  it('reaches proxyless gRPC clients: their default routes take the mesh policy, or none', () => {
    const r = resolveMeshConfig({ defaultHttpRetryPolicy: { attempts: 4, retryOn: 'unavailable' } });
    if (!r.ok) throw new Error(r.errors.join('; '));
    const snap = buildSnapshot(meshObjects(), snapshotOptions(r.value));
    const [rc] = generateGrpc(snap, grpcNode(), TypeUrls.route, ['reviews.default.svc.cluster.local:9080']);
    expect((rc!.resource as any).virtual_hosts[0].routes[0].route.retry_policy).to.deep.equal({ retry_on: 'unavailable', num_retries: { value: 4 } });
    const off = resolveMeshConfig({ defaultHttpRetryPolicy: {} });
    if (!off.ok) throw new Error(off.errors.join('; '));
    const [none] = generateGrpc(buildSnapshot(meshObjects(), snapshotOptions(off.value)), grpcNode(), TypeUrls.route, ['reviews.default.svc.cluster.local:9080']);
    expect((none!.resource as any).virtual_hosts[0].routes[0].route).to.not.have.property('retry_policy');
  });

  it('retries inbound routes as defaultInboundHttpRetryPolicy says, never on gRPC ports; {} turns them off', () => {
    const tuned = generated({ defaultInboundHttpRetryPolicy: { attempts: 4, retryOn: 'reset,503', backoff: '10ms' } }, REVIEWS_V1).listeners;
    expect(inboundRoute(tuned, 'inbound|9080||').retry_policy).to.deep.equal({
      retry_on: 'reset,retriable-status-codes',
      num_retries: { value: 4 },
      retriable_status_codes: [503],
      retry_back_off: { base_interval: { seconds: 0, nanos: 10_000_000 } },
    });
    expect(inboundRoute(tuned, 'inbound|9090||')).to.not.have.property('retry_policy');
    const off = generated({ defaultInboundHttpRetryPolicy: {} }, REVIEWS_V1).listeners;
    expect(inboundRoute(off, 'inbound|9080||')).to.not.have.property('retry_policy');
  });

  it('names what is wrong, and warns of what inbound routes do not read', () => {
    expect(meshErrors({ defaultHttpRetryPolicy: { attempts: -1 } })).to.deep.equal(['defaultHttpRetryPolicy.attempts: attempts cannot be negative']);
    expect(meshErrors({ defaultHttpRetryPolicy: { attempts: 2, retryOn: 'sometimes' } })[0]).to.match(/^defaultHttpRetryPolicy\.retryOn: "sometimes" is not a valid retryOn policy/);
    expect(meshErrors({ defaultHttpRetryPolicy: { attempts: 2, tries: 3 } })).to.deep.equal(['defaultHttpRetryPolicy.tries: unknown field']);
    expect(meshErrors({ defaultHttpRetryPolicy: 3 })).to.have.length(1).and.to.match(/^defaultHttpRetryPolicy: /);
    expect(meshErrors({ defaultInboundHttpRetryPolicy: { backoff: '1s' } })).to.deep.equal(['defaultInboundHttpRetryPolicy.backoff: set while attempts is 0 (inbound retries turned off)']);
    const r = resolveMeshConfig({ defaultInboundHttpRetryPolicy: { attempts: 2, perTryTimeout: '1s', retryIgnorePreviousHosts: true } });
    expect(r.ok && r.warnings).to.deep.equal([
      'defaultInboundHttpRetryPolicy.perTryTimeout: not read for inbound routes (they have one local destination)',
      'defaultInboundHttpRetryPolicy.retryIgnorePreviousHosts: not read for inbound routes (they have one local destination)',
    ]);
  });
});

describe("mesh config: Istio's defaultTrafficPolicy, h2UpgradePolicy and tcpKeepalive", () => {
  const breakers = (c: any) => c.circuit_breakers.thresholds[0];

  it('changes no cluster when the mesh config sets none of them', () => {
    const { clusters } = generated({}, REVIEWS_V1);
    for (const name of [REVIEWS, 'inbound|9080||', 'PassthroughCluster']) {
      const c = byName(clusters, name);
      expect(c, name).to.not.have.property('upstream_connection_options');
      expect(breakers(c).max_connections, name).to.deep.equal({ value: 4294967295 });
    }
    expect(byName(clusters, REVIEWS)).to.not.have.property('outlier_detection');
    // An HTTP/1.1 port's cluster needs no protocol options: Envoy's default.
    expect(byName(clusters, REVIEWS)).to.not.have.property('typed_extension_protocol_options');
  });

  it("puts defaultTrafficPolicy's blocks under each rule: a block the rule sets replaces the mesh's whole", () => {
    const mesh = { defaultTrafficPolicy: { connectionPool: { tcp: { maxConnections: 50, connectTimeout: '3s' } }, outlierDetection: { consecutive5xxErrors: 3, interval: '5s' } } };
    const { clusters } = generated(mesh, REVIEWS_V1);
    const reviews = byName(clusters, REVIEWS);
    expect(breakers(reviews).max_connections).to.deep.equal({ value: 50 });
    expect(reviews.connect_timeout).to.deep.equal({ seconds: 3, nanos: 0 });
    expect(reviews.outlier_detection).to.deep.include({ consecutive_5xx: { value: 3 }, interval: { seconds: 5, nanos: 0 } });
    // ratings' own pool (http only) replaces the mesh's: no maxConnections, the mesh's connect timeout default.
    const ratings = byName(clusters, RATINGS);
    expect(breakers(ratings).max_connections).to.deep.equal({ value: 4294967295 });
    expect(breakers(ratings).max_requests).to.deep.equal({ value: 7 });
    expect(ratings.connect_timeout).to.deep.equal({ seconds: 10, nanos: 0 });
    expect(ratings.outlier_detection).to.deep.include({ consecutive_5xx: { value: 3 } });
    // Inbound and passthrough clusters take the pool, never the outlier detection.
    for (const name of ['inbound|9080||', 'PassthroughCluster', 'InboundPassthroughCluster']) {
      const c = byName(clusters, name);
      expect(breakers(c).max_connections, name).to.deep.equal({ value: 50 });
      expect(c.connect_timeout, name).to.deep.equal({ seconds: 3, nanos: 0 });
      expect(c, name).to.not.have.property('outlier_detection');
    }
    expect(byName(clusters, 'BlackHoleCluster')).to.not.have.property('circuit_breakers');
  });

  it('upgrades HTTP/1.1 ports to HTTP/2 under h2UpgradePolicy UPGRADE, unless a rule says otherwise', () => {
    const { clusters } = generated({ h2UpgradePolicy: 'UPGRADE' }, REVIEWS_V1);
    const http = (name: string) => byName(clusters, name).typed_extension_protocol_options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    expect(http(REVIEWS).explicit_http_config).to.deep.equal({ http2_protocol_options: {} });
    expect(http(RATINGS)).to.equal(undefined);
    expect(http(DETAILS)).to.have.property('use_downstream_protocol_config');
    // Inbound clusters keep the app's protocol; DO_NOT_UPGRADE is Istio's default.
    expect(http('inbound|9080||')).to.equal(undefined);
    const { clusters: plain } = generated({ h2UpgradePolicy: 'DO_NOT_UPGRADE' }, REVIEWS_V1);
    expect(byName(plain, REVIEWS)).to.not.have.property('typed_extension_protocol_options');
    // Ports that are not HTTP/1.1 are left as they are: gRPC speaks HTTP/2 anyway, TCP is not upgraded.
    expect(http('outbound|50051||reviews-grpc.default.svc.cluster.local').explicit_http_config).to.deep.equal({ http2_protocol_options: {} });
    expect(http('outbound|3306||mysql.default.svc.cluster.local')).to.equal(undefined);
  });

  it('keeps every connection alive under tcpKeepalive, a rule\'s own fields over the mesh\'s', () => {
    const { clusters } = generated({ tcpKeepalive: { probes: 3, time: '60s', interval: '10s' } }, REVIEWS_V1);
    for (const name of [REVIEWS, 'inbound|9080||', 'PassthroughCluster', 'InboundPassthroughCluster']) {
      expect(byName(clusters, name).upstream_connection_options, name).to.deep.equal({ tcp_keepalive: { keepalive_probes: { value: 3 }, keepalive_time: { value: 60 }, keepalive_interval: { value: 10 } } });
    }
    // ratings sets time (kept) and probes 0 (not a value: the mesh's stays).
    expect(byName(clusters, RATINGS).upstream_connection_options).to.deep.equal({ tcp_keepalive: { keepalive_probes: { value: 3 }, keepalive_time: { value: 30 }, keepalive_interval: { value: 10 } } });
    // An empty one turns SO_KEEPALIVE on with the system's timings.
    const { clusters: bare } = generated({ tcpKeepalive: {} }, REVIEWS_V1);
    expect(byName(bare, REVIEWS).upstream_connection_options).to.deep.equal({ tcp_keepalive: {} });
  });

  it('names what is wrong', () => {
    expect(meshErrors({ defaultTrafficPolicy: { connectionPool: { tcp: { maxConnections: -1 } } } })).to.deep.equal(['defaultTrafficPolicy.connectionPool.tcp.maxConnections: must not be negative']);
    expect(meshErrors({ defaultTrafficPolicy: { connectionPool: {} } })).to.deep.equal(['defaultTrafficPolicy.connectionPool: connection pool must have at least one of tcp or http']);
    expect(meshErrors({ defaultTrafficPolicy: { loadBalancer: { simple: 'RANDOM' } } })).to.deep.equal(['defaultTrafficPolicy.loadBalancer: unknown field']);
    expect(meshErrors({ defaultTrafficPolicy: { outlierDetection: { maxEjectionPercent: 101 } } })).to.deep.equal(['defaultTrafficPolicy.outlierDetection.maxEjectionPercent: percentage 101 is not in range 0..100']);
    expect(meshErrors({ tcpKeepalive: { time: 'often' } })).to.have.length(1).and.to.match(/^tcpKeepalive\.time: /);
    expect(meshErrors({ tcpKeepalive: { probes: -2 } })).to.have.length(1).and.to.match(/^tcpKeepalive\.probes: /);
  });
});

describe("mesh config: Istio's inboundTrafficPolicy", () => {
  const SIDECAR_INGRESS = `
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: reviews }
spec:
  workloadSelector: { labels: { app: reviews } }
  ingress: [{ port: { number: 9080, protocol: HTTP, name: http } }]`;

  it('sends inbound traffic to 127.0.0.1 under LOCALHOST, to the original destination under PASSTHROUGH (the default)', () => {
    const local = byName(generated({ inboundTrafficPolicy: { mode: 'LOCALHOST' } }, REVIEWS_V1).clusters, 'inbound|9080||');
    expect(local.type).to.equal('STATIC');
    expect(local.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address).to.deep.equal({ socket_address: { address: '127.0.0.1', port_value: 9080 } });
    for (const mesh of [{}, { inboundTrafficPolicy: { mode: 'PASSTHROUGH' } }, { inboundTrafficPolicy: {} }]) {
      const c = byName(generated(mesh, REVIEWS_V1).clusters, 'inbound|9080||');
      expect(c.type, JSON.stringify(mesh)).to.equal('ORIGINAL_DST');
      expect(c).to.not.have.property('load_assignment');
    }
  });

  it("leaves a Sidecar's ingress listeners as they say (no defaultEndpoint: the original destination)", () => {
    const c = byName(generated({ inboundTrafficPolicy: { mode: 'LOCALHOST' } }, REVIEWS_V1, SIDECAR_INGRESS).clusters, 'inbound|9080||');
    expect(c.type).to.equal('ORIGINAL_DST');
  });

  it('names what is wrong', () => {
    expect(meshErrors({ inboundTrafficPolicy: { mode: 'LOOPBACK' } })).to.deep.equal(['inboundTrafficPolicy.mode: "LOOPBACK" must be one of PASSTHROUGH, LOCALHOST']);
    expect(meshErrors({ inboundTrafficPolicy: { mode: 'LOCALHOST', when: 'always' } })).to.deep.equal(['inboundTrafficPolicy.when: unknown field']);
    expect(meshErrors({ inboundTrafficPolicy: 'LOCALHOST' })).to.deep.equal(['inboundTrafficPolicy: must be a mapping, got "LOCALHOST"']);
  });
});
