/**
 * XBackendTrafficPolicy in the Envoy config: the retry budget of a policy reaches the targeted Service's clusters
 * (circuit breakers' retry_budget) on sidecars and gateways alike, valid against Envoy's protos and PGV rules. A
 * user's own DestinationRule for the host keeps its retryBudget, and gets the policy's when it sets none (dr-merge.ts).
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { GATEWAY, PRODUCTPAGE, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const OBJECTS = yamlObjects(`
apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec: { selector: { app: backend }, ports: [{ name: http, port: 8080 }, { name: grpc, port: 9090 }] }
---
apiVersion: v1
kind: Service
metadata: { name: productpage, namespace: default }
spec: { selector: { app: productpage }, ports: [{ name: http, port: 9080 }] }
`);
const policy = (retryConstraint: unknown = { budget: { percent: 35, interval: '5s' }, minRetryRate: { count: 7, interval: '1s' } }, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'gateway.networking.x-k8s.io/v1alpha1',
  kind: 'XBackendTrafficPolicy',
  metadata: { name: 'budget', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z', ...(annotations ? { annotations } : {}) },
  spec: { targetRefs: [{ group: '', kind: 'Service', name: 'backend' }], retryConstraint },
});
const userRule = (trafficPolicy: unknown): KubeObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'mine', namespace: 'default', creationTimestamp: '2026-02-01T00:00:00Z' }, spec: { host: 'backend.default.svc.cluster.local', trafficPolicy } });
const SIDECAR = () => proxy(PRODUCTPAGE, { LABELS: { app: 'productpage' } });
const INGRESS = () => proxy(GATEWAY, { LABELS: { istio: 'ingressgateway' } });
const clusters = (objects: KubeObject[], p = SIDECAR()) => {
  const cds = generate(buildSnapshot([...OBJECTS, ...objects]), p, TypeUrls.cluster);
  expectValid(TypeUrls.cluster, cds);
  return cds;
};
const budget = (c: any) => c.circuit_breakers?.thresholds?.[0]?.retry_budget;
const BACKEND = ['outbound|8080||backend.default.svc.cluster.local', 'outbound|9090||backend.default.svc.cluster.local'];
const OTHER = 'outbound|9080||productpage.default.svc.cluster.local';

describe('XBackendTrafficPolicy → Envoy clusters', () => {
  for (const [who, p] of [['a sidecar', SIDECAR], ['a gateway', INGRESS]] as const) {
    it(`${who}: every cluster of the targeted Service carries the retry budget`, () => {
      const cds = clusters([policy()], p());
      for (const name of BACKEND) expect(budget(byName(cds, name)), name).to.deep.equal({ budget_percent: { value: 35 }, min_retry_concurrency: { value: 7 } });
      expect(budget(byName(cds, OTHER)), 'another Service is untouched').to.equal(undefined);
    });
  }

  it('without a policy, no retry budget (so the one above is the policy\'s)', () => {
    for (const name of BACKEND) expect(budget(byName(clusters([]), name))).to.equal(undefined);
  });

  it('the Gateway API defaults: minimum 10 retries at once; no percent is the DestinationRule default, 20', () => {
    expect(budget(byName(clusters([policy({})]), BACKEND[0]!))).to.deep.equal({ budget_percent: { value: 20 }, min_retry_concurrency: { value: 10 } });
  });

  it('a user DestinationRule with its own retryBudget keeps it; one without gets the policy\'s beside its own fields', () => {
    const own = clusters([policy(), userRule({ retryBudget: { percent: 50, minRetryConcurrency: 2 } })]);
    expect(budget(byName(own, BACKEND[0]!))).to.deep.equal({ budget_percent: { value: 50 }, min_retry_concurrency: { value: 2 } });
    const other = clusters([policy(), userRule({ connectionPool: { tcp: { maxConnections: 9 } } })]);
    const c = byName(other, BACKEND[0]!);
    expect(budget(c)).to.deep.equal({ budget_percent: { value: 35 }, min_retry_concurrency: { value: 7 } });
    expect(c.circuit_breakers.thresholds[0].max_connections).to.deep.equal({ value: 9 });
  });

  it('an ignored policy (istio.io/ignore-policy-attachment) sets nothing', () => {
    expect(budget(byName(clusters([policy(undefined, { 'istio.io/ignore-policy-attachment': 'true' })]), BACKEND[0]!))).to.equal(undefined);
  });
});
