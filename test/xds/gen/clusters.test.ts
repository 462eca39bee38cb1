import { expect } from 'chai';
import { generate } from '../../../src/xds/gen/index.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { PRODUCTPAGE, REVIEWS_GRPC_SERVICE, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

/** A ServiceEntry without resolution (ORIGINAL_DST). */
const SE_NONE = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: none }
spec:
  hosts: [none.example.com]
  resolution: NONE
  ports: [{ number: 443, name: tls, protocol: TLS }]`;

function clustersWith(yaml: string, node = PRODUCTPAGE) {
  const snap = buildSnapshot([...bookinfo(), ...yamlObjects(yaml)]);
  const clusters = generate(snap, proxy(node), TypeUrls.cluster);
  const endpoints = generate(snap, proxy(node), TypeUrls.endpoint);
  expectValid(TypeUrls.cluster, clusters);
  expectValid(TypeUrls.endpoint, endpoints);
  return { clusters, endpoints };
}

const dr = (trafficPolicy: string, subsets = ''): string => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  trafficPolicy: ${trafficPolicy}
${subsets}`;

const R = 'outbound|9080||reviews.default.svc.cluster.local';

describe('Envoy CDS/EDS from DestinationRules', () => {
  const table: Array<{ name: string; yaml: string; cluster?: string; want: Record<string, unknown> }> = [
    { name: 'simple LEAST_REQUEST', yaml: dr('{ loadBalancer: { simple: LEAST_REQUEST } }'), want: { lb_policy: 'LEAST_REQUEST' } },
    { name: 'RANDOM', yaml: dr('{ loadBalancer: { simple: RANDOM } }'), want: { lb_policy: 'RANDOM' } },
    {
      name: 'consistent hash → RING_HASH with minimum ring size',
      yaml: dr('{ loadBalancer: { consistentHash: { httpCookie: { name: user, ttl: 0s }, ringHash: { minimumRingSize: 1024 } } } }'),
      want: { lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: { value: 1024 } } },
    },
    { name: 'consistent hash with maglev', yaml: dr('{ loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize: 65537 } } } }'), want: { lb_policy: 'MAGLEV', maglev_lb_config: { table_size: { value: 65537 } } } },
    {
      name: 'connection pool → circuit breakers, connect timeout, HTTP options',
      yaml: dr('{ connectionPool: { tcp: { maxConnections: 100, connectTimeout: 30ms }, http: { http1MaxPendingRequests: 10, http2MaxRequests: 1000, maxRequestsPerConnection: 1, maxRetries: 3, idleTimeout: 60s } } }'),
      want: {
        connect_timeout: { seconds: 0, nanos: 30_000_000 },
        circuit_breakers: { thresholds: [{ max_connections: { value: 100 }, max_pending_requests: { value: 10 }, max_requests: { value: 1000 }, max_retries: { value: 3 }, track_remaining: true }] },
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
            common_http_protocol_options: { max_requests_per_connection: { value: 1 }, idle_timeout: { seconds: 60, nanos: 0 } },
            explicit_http_config: { http_protocol_options: {} },
          },
        },
      },
    },
    {
      name: 'outlier detection',
      yaml: dr('{ outlierDetection: { consecutive5xxErrors: 3, consecutiveGatewayErrors: 0, interval: 5s, baseEjectionTime: 30s, maxEjectionPercent: 50, minHealthPercent: 20 } }'),
      want: {
        outlier_detection: {
          consecutive_5xx: { value: 3 }, enforcing_consecutive_5xx: { value: 100 }, consecutive_gateway_failure: { value: 0 }, enforcing_consecutive_gateway_failure: { value: 0 },
          interval: { seconds: 5, nanos: 0 }, base_ejection_time: { seconds: 30, nanos: 0 }, max_ejection_percent: { value: 50 }, enforcing_success_rate: { value: 0 },
        },
        common_lb_config: { healthy_panic_threshold: { value: 20 } },
      },
    },
    {
      name: 'outlier detection without minHealthPercent still turns panic mode off (threshold 0)',
      yaml: dr('{ outlierDetection: { consecutive5xxErrors: 2 } }'),
      want: {
        outlier_detection: { consecutive_5xx: { value: 2 }, enforcing_consecutive_5xx: { value: 100 }, enforcing_success_rate: { value: 0 } },
        common_lb_config: { healthy_panic_threshold: { value: 0 } },
      },
    },
    { name: 'an empty outlierDetection counts as set', yaml: dr('{ outlierDetection: {} }'), want: { outlier_detection: { enforcing_success_rate: { value: 0 } }, common_lb_config: { healthy_panic_threshold: { value: 0 } } } },
    {
      name: 'outlier detection: zero maxEjectionPercent and zero local-origin failures keep Envoy’s defaults',
      yaml: dr('{ outlierDetection: { maxEjectionPercent: 0, splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 0 } }'),
      want: { outlier_detection: { split_external_local_origin_errors: true, enforcing_local_origin_success_rate: { value: 0 }, enforcing_success_rate: { value: 0 } } },
    },
    {
      name: 'outlier detection: local-origin failures enforced when positive',
      yaml: dr('{ outlierDetection: { splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 4 } }'),
      want: {
        outlier_detection: {
          split_external_local_origin_errors: true, consecutive_local_origin_failure: { value: 4 }, enforcing_consecutive_local_origin_failure: { value: 100 },
          enforcing_local_origin_success_rate: { value: 0 }, enforcing_success_rate: { value: 0 },
        },
      },
    },
    { name: 'locality load balancing', yaml: dr('{ loadBalancer: { localityLbSetting: { enabled: true } } }'), want: { common_lb_config: { locality_weighted_lb_config: {} } } },
    {
      name: 'subset policy overrides the top level; port-level settings apply',
      yaml: dr('{ loadBalancer: { simple: RANDOM }, portLevelSettings: [{ port: { number: 9080 }, connectionPool: { tcp: { maxConnections: 7 } } }] }', `  subsets:
  - name: v1
    labels: { version: v1 }
    trafficPolicy: { loadBalancer: { simple: LEAST_REQUEST } }`),
      cluster: 'outbound|9080|v1|reviews.default.svc.cluster.local',
      want: { lb_policy: 'LEAST_REQUEST' },
    },
    {
      name: 'zero or negative pool sizes keep the unlimited defaults, as istiod',
      yaml: dr('{ connectionPool: { tcp: { maxConnections: 0 }, http: { http1MaxPendingRequests: 0, http2MaxRequests: -1, maxRetries: 0, maxRequestsPerConnection: 0 } } }'),
      want: {
        circuit_breakers: { thresholds: [{ max_connections: { value: 4294967295 }, max_pending_requests: { value: 4294967295 }, max_requests: { value: 4294967295 }, max_retries: { value: 4294967295 }, track_remaining: true }] },
      },
    },
    {
      name: 'tcp keepalive, max connection duration, and tcp idleTimeout when http sets none',
      yaml: dr('{ connectionPool: { tcp: { tcpKeepalive: { probes: 3, time: 600s, interval: 75.5s }, maxConnectionDuration: 1h, idleTimeout: 30m } } }'),
      want: {
        upstream_connection_options: { tcp_keepalive: { keepalive_probes: { value: 3 }, keepalive_time: { value: 600 }, keepalive_interval: { value: 75 } } },
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
            common_http_protocol_options: { idle_timeout: { seconds: 1800, nanos: 0 }, max_connection_duration: { seconds: 3600, nanos: 0 } },
            explicit_http_config: { http_protocol_options: {} },
          },
        },
      },
    },
    { name: 'an empty tcpKeepalive turns keepalive on with the OS defaults', yaml: dr('{ connectionPool: { tcp: { tcpKeepalive: {} } } }'), want: { upstream_connection_options: { tcp_keepalive: {} } } },
    {
      name: 'useClientProtocol: the request’s own protocol upstream; http idleTimeout wins over tcp’s',
      yaml: dr('{ connectionPool: { tcp: { idleTimeout: 30m }, http: { useClientProtocol: true, idleTimeout: 10s } } }'),
      want: {
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
            common_http_protocol_options: { idle_timeout: { seconds: 10, nanos: 0 } },
            use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
          },
        },
      },
    },
    {
      name: 'HTTP/2 options: concurrent streams and connection keepalive',
      yaml: dr('{ connectionPool: { http: { h2UpgradePolicy: UPGRADE, maxConcurrentStreams: 50, http2KeepAlive: { interval: 30s, timeout: 5s } } } }'),
      want: {
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
            common_http_protocol_options: {},
            explicit_http_config: { http2_protocol_options: { max_concurrent_streams: { value: 50 }, connection_keepalive: { interval: { seconds: 30, nanos: 0 }, timeout: { seconds: 5, nanos: 0 } } } },
          },
        },
      },
    },
    { name: 'HTTP/2 upstream on request', yaml: dr('{ connectionPool: { http: { h2UpgradePolicy: UPGRADE } } }'), want: { typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } } } } },
  ];
  for (const t of table) {
    it(t.name, () => {
      const c = byName(clustersWith(t.yaml).clusters, t.cluster ?? R);
      expect(c).to.deep.include(t.want);
      expect(c.type).to.equal('EDS');
      expect(c.eds_cluster_config).to.deep.equal({ eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: c.name });
    });
  }

  describe('TLS origination from files in the proxy (SIMPLE, MUTUAL)', () => {
    const UTC = '@type';
    const socket = (tls: string) => byName(clustersWith(dr(`{ tls: ${tls} }`)).clusters, R).transport_socket;
    const context = (tls: string) => socket(tls)?.typed_config;
    // TLS 1.2 to 1.3 on every origination, as istiod sets it (Envoy's clients stop at 1.2 otherwise).
    const tls_params = { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' };
    it('SIMPLE checks the server against the system CAs when no caCertificates are given', () => {
      expect(context('{ mode: SIMPLE, sni: reviews.example.com }')).to.deep.equal({
        [UTC]: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        sni: 'reviews.example.com',
        common_tls_context: { tls_params, validation_context: { trusted_ca: { filename: '/etc/ssl/certs/ca-certificates.crt' } } },
      });
    });
    it('SIMPLE with caCertificates, subjectAltNames (DNS or SPIFFE URI) and caCrl', () => {
      expect(context('{ mode: SIMPLE, caCertificates: /etc/certs/ca.pem, caCrl: /etc/certs/crl.pem, subjectAltNames: [reviews.example.com, "spiffe://td/ns/a/sa/b"] }').common_tls_context).to.deep.equal({
        tls_params,
        validation_context: {
          trusted_ca: { filename: '/etc/certs/ca.pem' },
          match_typed_subject_alt_names: [
            { san_type: 'DNS', matcher: { exact: 'reviews.example.com' } },
            { san_type: 'URI', matcher: { exact: 'spiffe://td/ns/a/sa/b' } },
          ],
          crl: { filename: '/etc/certs/crl.pem' },
        },
      });
    });
    it('without an sni, the SNI is the request host and the certificate must name it (auto_sni, auto_san_validation)', () => {
      const opts = (tls: string) => byName(clustersWith(dr(`{ tls: ${tls} }`)).clusters, R).typed_extension_protocol_options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
      expect(opts('{ mode: SIMPLE }')).to.deep.include({ upstream_http_protocol_options: { auto_sni: true, auto_san_validation: true }, explicit_http_config: { http_protocol_options: {} } });
      expect(opts('{ mode: SIMPLE, subjectAltNames: [a.example.com] }').upstream_http_protocol_options).to.deep.equal({ auto_sni: true });
      expect(opts('{ mode: SIMPLE, insecureSkipVerify: true }').upstream_http_protocol_options).to.deep.equal({ auto_sni: true });
      expect(opts('{ mode: SIMPLE, sni: a.example.com }')).to.equal(undefined);
    });
    it('insecureSkipVerify turns the check off', () => {
      expect(context('{ mode: SIMPLE, insecureSkipVerify: true, caCertificates: /etc/certs/ca.pem }').common_tls_context).to.deep.equal({ tls_params });
    });
    it('MUTUAL presents the client certificate and key from their files', () => {
      expect(context('{ mode: MUTUAL, clientCertificate: /etc/certs/cert.pem, privateKey: /etc/certs/key.pem, caCertificates: /etc/certs/ca.pem }').common_tls_context).to.deep.equal({
        tls_params,
        tls_certificates: [{ certificate_chain: { filename: '/etc/certs/cert.pem' }, private_key: { filename: '/etc/certs/key.pem' } }],
        validation_context: { trusted_ca: { filename: '/etc/certs/ca.pem' } },
      });
    });
    it('ISTIO_MUTUAL and MUTUAL with a credentialName: no TLS (mizzen does not hand sidecars those certificates yet)', () => {
      expect(socket('{ mode: ISTIO_MUTUAL }')).to.equal(undefined);
      expect(socket('{ mode: MUTUAL, credentialName: client-cert }')).to.equal(undefined);
      expect(socket('{ mode: DISABLE }')).to.equal(undefined);
    });
  });

  it('a port-level entry replaces the whole policy for its port; the first entry for a port wins', () => {
    const yaml = dr(`{ loadBalancer: { simple: RANDOM }, outlierDetection: { consecutive5xxErrors: 3 }, portLevelSettings: [
      { port: { number: 9080 }, connectionPool: { tcp: { maxConnections: 7 } } },
      { port: { number: 9080 }, loadBalancer: { simple: ROUND_ROBIN } }] }`);
    const c = byName(clustersWith(yaml).clusters, R);
    expect(c.lb_policy).to.equal('LEAST_REQUEST');
    expect(c.outlier_detection).to.equal(undefined);
    expect(c.circuit_breakers.thresholds[0].max_connections).to.deep.equal({ value: 7 });
  });

  it('a subset’s groups replace the rule’s one by one, but its own port-level entry replaces all of them', () => {
    const yaml = dr(
      '{ loadBalancer: { simple: RANDOM }, connectionPool: { tcp: { maxConnections: 9 } } }',
      `  subsets:
  - { name: v1, labels: { version: v1 }, trafficPolicy: { loadBalancer: { simple: ROUND_ROBIN } } }
  - name: v2
    labels: { version: v2 }
    trafficPolicy: { loadBalancer: { simple: ROUND_ROBIN }, portLevelSettings: [{ port: { number: 9080 }, outlierDetection: { consecutive5xxErrors: 2 } }] }`,
    );
    const { clusters } = clustersWith(yaml);
    const v1 = byName(clusters, 'outbound|9080|v1|reviews.default.svc.cluster.local');
    expect([v1.lb_policy, v1.circuit_breakers.thresholds[0].max_connections.value]).to.deep.equal(['ROUND_ROBIN', 9]);
    const v2 = byName(clusters, 'outbound|9080|v2|reviews.default.svc.cluster.local');
    expect([v2.lb_policy, v2.circuit_breakers.thresholds[0].max_connections.value, v2.outlier_detection.consecutive_5xx]).to.deep.equal(['LEAST_REQUEST', 4294967295, { value: 2 }]);
  });

  it('port-level settings reach the subset cluster too', () => {
    const yaml = dr('{ portLevelSettings: [{ port: { number: 9080 }, connectionPool: { tcp: { maxConnections: 7 } } }] }', '  subsets: [{ name: v1, labels: { version: v1 } }]');
    const c = byName(clustersWith(yaml).clusters, 'outbound|9080|v1|reviews.default.svc.cluster.local');
    expect(c.circuit_breakers.thresholds[0].max_connections).to.deep.equal({ value: 7 });
  });

  it("retryBudget: Envoy's retry budget with istiod's defaults (20 %, 3 at once), the policy's whole: port-level entries keep it, a subset's own replaces it", () => {
    const budget = (c: any) => c.circuit_breakers.thresholds[0].retry_budget;
    const given = clustersWith(dr('{ retryBudget: { percent: 12.5, minRetryConcurrency: 5 }, portLevelSettings: [{ port: { number: 9080 }, connectionPool: { tcp: { maxConnections: 7 } } }] }', '  subsets: [{ name: v1, labels: { version: v1 }, trafficPolicy: { retryBudget: { percent: 50 } } }, { name: v2, labels: { version: v2 } }]'));
    const top = byName(given.clusters, R);
    expect(budget(top)).to.deep.equal({ budget_percent: { value: 12.5 }, min_retry_concurrency: { value: 5 } });
    expect(top.circuit_breakers.thresholds[0].max_connections, 'the port-level entry applies beside it').to.deep.equal({ value: 7 });
    expect(budget(byName(given.clusters, 'outbound|9080|v1|reviews.default.svc.cluster.local'))).to.deep.equal({ budget_percent: { value: 50 }, min_retry_concurrency: { value: 3 } });
    expect(budget(byName(given.clusters, 'outbound|9080|v2|reviews.default.svc.cluster.local'))).to.deep.equal({ budget_percent: { value: 12.5 }, min_retry_concurrency: { value: 5 } });
    expect(budget(byName(clustersWith(dr('{ retryBudget: {} }')).clusters, R))).to.deep.equal({ budget_percent: { value: 20 }, min_retry_concurrency: { value: 3 } });
    expect(budget(byName(clustersWith(dr('{ loadBalancer: { simple: RANDOM } }')).clusters, R)), 'none without it').to.equal(undefined);
  });

  it('EDS: subsets narrow endpoints by labels; localities grouped with weights; health from readiness', () => {
    const yaml = dr('{}', '  subsets: [{ name: v3, labels: { version: v3 } }, { name: none, labels: { version: v9 } }]');
    const { endpoints } = clustersWith(yaml);
    expect(byName(endpoints, 'outbound|9080|v3|reviews.default.svc.cluster.local').endpoints).to.deep.equal([
      {
        locality: { region: 'eu-west1', zone: 'eu-west1-a' },
        lb_endpoints: [
          {
            endpoint: { address: { socket_address: { address: '10.244.0.15', port_value: 9080 } } },
            health_status: 'UNHEALTHY',
            // Labelled tlsMode=istio: auto mTLS reaches it over mTLS (mtls.test.ts).
            metadata: { filter_metadata: { 'envoy.transport_socket_match': { tlsMode: 'istio' } } },
            load_balancing_weight: { value: 1 },
          },
        ],
        load_balancing_weight: { value: 1 },
      },
    ]);
    expect(byName(endpoints, 'outbound|9080|none|reviews.default.svc.cluster.local')).to.deep.equal({ cluster_name: 'outbound|9080|none|reviews.default.svc.cluster.local', endpoints: [] });
    const all = byName(endpoints, R).endpoints;
    expect(all.map((l: any) => [l.locality.zone, l.load_balancing_weight.value])).to.deep.equal([['eu-west1-a', 2], ['eu-west1-b', 1]]);
  });

  it('ServiceEntry resolutions: STATIC → EDS with weights, NONE → ORIGINAL_DST, DNS_ROUND_ROBIN → LOGICAL_DNS with one endpoint', () => {
    const { clusters, endpoints } = clustersWith(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: s }
spec:
  hosts: [static.example.com]
  resolution: STATIC
  ports: [{ number: 5432, name: tcp-pg, protocol: TCP }]
  endpoints: [{ address: 1.1.1.1, weight: 3, locality: r1/z1 }, { address: 2.2.2.2, locality: r1/z1 }]
---
${SE_NONE}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: d }
spec:
  hosts: [dns.example.com]
  resolution: DNS_ROUND_ROBIN
  ports: [{ number: 80, name: http, protocol: HTTP }]
  endpoints: [{ address: a.example.com }, { address: b.example.com }]`);
    const eds = byName(endpoints, 'outbound|5432||static.example.com');
    expect(eds.endpoints[0].locality).to.deep.equal({ region: 'r1', zone: 'z1' });
    expect(eds.endpoints[0].load_balancing_weight).to.deep.equal({ value: 4 });
    expect(eds.endpoints[0].lb_endpoints.map((e: any) => e.load_balancing_weight.value)).to.deep.equal([3, 1]);
    expect(byName(clusters, 'outbound|443||none.example.com')).to.deep.include({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' });
    const dns = byName(clusters, 'outbound|80||dns.example.com');
    expect(dns.type).to.equal('LOGICAL_DNS');
    expect(dns.load_assignment.endpoints[0].lb_endpoints).to.have.length(1);
  });

  it('gRPC ports get HTTP/2 upstreams; inbound clusters for the proxy’s own service ports', () => {
    const { clusters } = clustersWith(
      REVIEWS_GRPC_SERVICE,
      REVIEWS_V1,
    );
    const out = byName(clusters, 'outbound|50051||reviews-grpc.default.svc.cluster.local');
    expect(out.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config).to.deep.equal({ http2_protocol_options: {} });
    const inbound = byName(clusters, 'inbound|9090||');
    expect(inbound).to.deep.include({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } } });
    expect(inbound.typed_extension_protocol_options).to.not.equal(undefined);
    expect(byName(clusters, 'inbound|9080||').typed_extension_protocol_options).to.equal(undefined);
    expect(clusters.slice(-3).map((c) => c.name)).to.deep.equal(['BlackHoleCluster', 'PassthroughCluster', 'InboundPassthroughCluster']);
  });

  it('exportTo hides services and DestinationRules from other namespaces', () => {
    const { clusters } = clustersWith(`
apiVersion: v1
kind: Service
metadata: { name: private, namespace: secret, annotations: { networking.istio.io/exportTo: '.' } }
spec: { ports: [{ name: http, port: 80 }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: hidden, namespace: other }
spec: { host: reviews.default.svc.cluster.local, exportTo: ['.'], trafficPolicy: { loadBalancer: { simple: RANDOM } } }`);
    expect(clusters.some((c) => c.name.includes('private.secret'))).to.equal(false);
    expect(byName(clusters, R).lb_policy).to.equal('LEAST_REQUEST');
  });

  it('Istio’s default balancer: LEAST_REQUEST on outbound clusters without a rule or a simple policy, not on the others', () => {
    const { clusters } = clustersWith(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: d }
spec:
  hosts: [dns.example.com]
  resolution: DNS
  ports: [{ number: 80, name: http, protocol: HTTP }]
  endpoints: [{ address: a.example.com }]
---
${SE_NONE}
---
${dr('{ loadBalancer: { localityLbSetting: { enabled: true } } }')}`, REVIEWS_V1);
    for (const name of [R, 'outbound|9080||ratings.default.svc.cluster.local', 'outbound|80||dns.example.com']) expect(byName(clusters, name).lb_policy, name).to.equal('LEAST_REQUEST');
    expect(byName(clusters, 'outbound|443||none.example.com').lb_policy).to.equal('CLUSTER_PROVIDED');
    expect(byName(clusters, 'inbound|9080||').lb_policy).to.equal('CLUSTER_PROVIDED');
    expect(byName(clusters, 'BlackHoleCluster').lb_policy).to.equal(undefined);
    expect(byName(clusters, 'PassthroughCluster').lb_policy).to.equal('CLUSTER_PROVIDED');
  });

  it('passthrough clusters: the caller’s protocol upstream, idle connections closed after 5 minutes, as istiod', () => {
    const { clusters } = clustersWith('', REVIEWS_V1);
    for (const name of ['PassthroughCluster', 'InboundPassthroughCluster']) {
      expect(byName(clusters, name).typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'], name).to.deep.equal({
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        common_http_protocol_options: { idle_timeout: { seconds: 300, nanos: 0 } },
        use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
      });
    }
  });

  it('malformed DestinationRules never throw', () => {
    const bad = ['7', "'x'", '{ loadBalancer: 7, connectionPool: { tcp: 7, http: [1] }, outlierDetection: { interval: x, maxEjectionPercent: 900 } }', '{ portLevelSettings: [null, { port: 7 }] }', '{ loadBalancer: { consistentHash: { ringHash: 7 } } }'];
    for (const b of bad) expect(() => clustersWith(dr(b, '  subsets: [null, { name: 7 }, { name: v1, labels: 7 }]')), b).not.to.throw();
  });
});

describe('Envoy CDS: proxyProtocol', () => {
  it('wraps the upstream transport (TLS or plaintext) so that a PROXY protocol header goes first; subsets and port-level settings keep it', () => {
    const yaml = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  trafficPolicy:
    proxyProtocol: { version: V2 }
    portLevelSettings: [{ port: { number: 9080 }, connectionPool: { tcp: { maxConnections: 5 } } }]
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 }, trafficPolicy: { proxyProtocol: { version: V1 }, tls: { mode: SIMPLE } } }`;
    const { clusters } = clustersWith(yaml);
    const socket = (name: string) => byName(clusters, name).transport_socket;
    for (const name of ['outbound|9080||reviews.default.svc.cluster.local', 'outbound|9080|v1|reviews.default.svc.cluster.local']) {
      expect(socket(name).name, name).to.equal('envoy.transport_sockets.upstream_proxy_protocol');
      expect(socket(name).typed_config.config).to.deep.equal({ version: 'V2' });
      expect(socket(name).typed_config.transport_socket.name).to.equal('envoy.transport_sockets.raw_buffer');
    }
    const v2 = socket('outbound|9080|v2|reviews.default.svc.cluster.local').typed_config;
    expect(v2.config).to.deep.equal({ version: 'V1' });
    expect(v2.transport_socket.name).to.equal('envoy.transport_sockets.tls');
    expect(byName(clusters, 'outbound|9080||ratings.default.svc.cluster.local').transport_socket).to.equal(undefined);
  });
});

describe('Envoy CDS: warmup (slow start)', () => {
  it("warmup and the older warmupDurationSecs give ROUND_ROBIN and LEAST_REQUEST clusters a slow start, as istiod's setWarmup", () => {
    const rr = clustersWith(dr("{ loadBalancer: { simple: ROUND_ROBIN, warmup: { duration: 60s, aggression: 2 } } }")).clusters;
    expect(byName(rr, R).round_robin_lb_config).to.deep.equal({
      slow_start_config: { slow_start_window: { seconds: 60, nanos: 0 }, aggression: { default_value: 2, runtime_key: '(' }, min_weight_percent: { value: 10 } },
    });
    const lr = clustersWith(dr('{ loadBalancer: { warmupDurationSecs: 30s } }')).clusters;
    expect(byName(lr, R).least_request_lb_config).to.deep.equal({ slow_start_config: { slow_start_window: { seconds: 30, nanos: 0 } } });
    const hashed = clustersWith(dr('{ loadBalancer: { consistentHash: { httpHeaderName: x }, warmupDurationSecs: 30s } }')).clusters;
    expect(byName(hashed, R).least_request_lb_config, 'ring hash has no slow start').to.equal(undefined);
  });
});
