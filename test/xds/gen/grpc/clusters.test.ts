import { expect } from 'chai';
import { generateGrpc } from '../../../../src/xds/gen/grpc/index.js';
import { TypeUrls } from '../../../../src/core/constants.js';
import { grpcDecode } from './grpc-accepts.js';
import { REVIEWS, grpcNode, meshObjects, snapshot, yaml } from './fixture.js';

const cluster = (subset: string) => `outbound|9080|${subset}|${REVIEWS}`;
const withoutReviewsDr = () => meshObjects().filter((o) => !(o.kind === 'DestinationRule' && o.metadata.name === 'reviews'));

function clusters(drYaml: string, names?: string[]): Record<string, any> {
  const out = generateGrpc(snapshot(yaml(drYaml), withoutReviewsDr()), grpcNode(), TypeUrls.cluster, names);
  const byName: Record<string, any> = {};
  for (const c of out) {
    const verdict = grpcDecode(TypeUrls.cluster, c.resource);
    expect(verdict.error, verdict.error).to.equal(undefined);
    byName[c.name] = c.resource;
  }
  return byName;
}

const DR = (tp: string, subsets = '[{name: v1, labels: {version: v1}}]') => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy: ${tp}
  subsets: ${subsets}`;

describe('gRPC generator: clusters', () => {
  it('one EDS cluster per service port and per subset (Bookinfo destination-rule-all)', () => {
    const out = generateGrpc(snapshot(), grpcNode(), TypeUrls.cluster);
    expect(out.map((c) => c.name).filter((n) => n.endsWith(REVIEWS))).to.deep.equal([cluster(''), cluster('v1'), cluster('v2'), cluster('v3')]);
    for (const c of out) {
      expect(grpcDecode(TypeUrls.cluster, c.resource).error).to.equal(undefined);
      expect(c.resource).to.deep.include({ type: 'EDS', lb_policy: 'ROUND_ROBIN', eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } } });
    }
  });

  it('named subscriptions: known names only, unknown subsets, ports and hosts left out', () => {
    const out = generateGrpc(snapshot(), grpcNode(), TypeUrls.cluster, [cluster('v2'), cluster('v9'), `outbound|1|v1|${REVIEWS}`, 'outbound|9080||nope.default.svc.cluster.local', 'garbage', cluster('v2')]);
    expect(out.map((c) => c.name)).to.deep.equal([cluster('v2')]);
  });

  const table: Array<{ name: string; tp: string; subset?: string; want: Record<string, unknown>; absent?: string[] }> = [
    {
      name: 'consistent hash → RING_HASH with XX_HASH (gRPC rejects any other function)',
      tp: '{loadBalancer: {consistentHash: {httpHeaderName: x-user, minimumRingSize: 2048}}}',
      want: { lb_policy: 'RING_HASH', ring_hash_lb_config: { hash_function: 'XX_HASH', minimum_ring_size: { value: 2048 } } },
    },
    { name: 'LEAST_REQUEST (unsupported by gRPC) → ROUND_ROBIN', tp: '{loadBalancer: {simple: LEAST_REQUEST}}', want: { lb_policy: 'ROUND_ROBIN' }, absent: ['ring_hash_lb_config'] },
    {
      name: 'connection pool → circuit breaker thresholds (gRPC reads max_requests)',
      tp: '{connectionPool: {http: {http2MaxRequests: 10, http1MaxPendingRequests: 5, maxRetries: 2}, tcp: {maxConnections: 7, connectTimeout: 250ms}}}',
      want: {
        circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_requests: { value: 10 }, max_pending_requests: { value: 5 }, max_retries: { value: 2 }, max_connections: { value: 7 } }] },
        connect_timeout: { seconds: 0, nanos: 250_000_000 },
      },
    },
    {
      name: 'zero pool sizes are unset, as istiod: no circuit breaker refusing every call',
      tp: '{connectionPool: {http: {http2MaxRequests: 0, maxRetries: 0}, tcp: {maxConnections: 0}}}',
      want: {},
      absent: ['circuit_breakers'],
    },
    {
      name: 'outlier detection: consecutive errors → failure-percentage ejection, success rate off',
      tp: '{outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 50}}',
      want: {
        outlier_detection: {
          interval: { seconds: 1, nanos: 0 },
          base_ejection_time: { seconds: 30, nanos: 0 },
          max_ejection_percent: { value: 50 },
          consecutive_5xx: { value: 3 },
          enforcing_success_rate: { value: 0 },
          enforcing_failure_percentage: { value: 100 },
          failure_percentage_threshold: { value: 50 },
          failure_percentage_request_volume: { value: 3 },
          failure_percentage_minimum_hosts: { value: 1 },
        },
      },
    },
    {
      name: 'subset policy overrides the rule-level one',
      tp: '{loadBalancer: {consistentHash: {httpHeaderName: x}}}',
      subset: 'v1',
      want: { lb_policy: 'ROUND_ROBIN', outlier_detection: { interval: { seconds: 2, nanos: 0 }, enforcing_success_rate: { value: 0 } } },
    },
    {
      name: 'port-level settings override for their port',
      tp: '{loadBalancer: {simple: ROUND_ROBIN}, portLevelSettings: [{port: {number: 9080}, loadBalancer: {consistentHash: {useSourceIp: true}}}, {port: {number: 1}, connectionPool: {http: {http2MaxRequests: 1}}}]}',
      want: { lb_policy: 'RING_HASH' },
      absent: ['circuit_breakers'],
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const subsets = '[{name: v1, labels: {version: v1}, trafficPolicy: {loadBalancer: {simple: RANDOM}, outlierDetection: {interval: 2s}}}]';
      const got = clusters(DR(c.tp, subsets), [cluster(c.subset ?? '')])[cluster(c.subset ?? '')];
      expect(got).to.deep.include(c.want);
      for (const f of c.absent ?? []) expect(got).to.not.have.property(f);
    });
  }
});
