import { expect } from 'chai';
import { generateGrpc } from '../../../src/xds/gen/grpc/index.js';
import { generate } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { mergeDestinationRules } from '../../../src/xds/gen/dr-merge.js';
import type { Config } from '../../../src/model/types.js';
import { REVIEWS, grpcNode, meshObjects, snapshot, yaml } from './grpc/fixture.js';
import { proxy } from './helpers.js';

/** The fixture's services and pods, without its Bookinfo DestinationRules. */
const base = () => meshObjects().filter((o) => o.kind !== 'DestinationRule');

const dr = (name: string, spec: string, namespace = 'default', created = '2026-01-01T00:00:00Z') =>
  yaml(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${namespace}, creationTimestamp: "${created}"}
spec: ${spec}`);

const clusterNames = (objects: ReturnType<typeof yaml>, namespace = 'default'): string[] =>
  generateGrpc(snapshot(objects, base()), grpcNode(namespace), TypeUrls.cluster)
    .map((c) => c.name)
    .filter((n) => n.endsWith(REVIEWS));

const cluster = (objects: ReturnType<typeof yaml>, subset: string): any =>
  generateGrpc(snapshot(objects, base()), grpcNode(), TypeUrls.cluster, [`outbound|9080|${subset}|${REVIEWS}`])[0]?.resource;

describe('DestinationRule merging', () => {
  it('two rules for one host in one namespace act as one: the subsets of both, the oldest rule’s trafficPolicy', () => {
    const objects = [
      ...dr('reviews-canary', '{host: reviews.default.svc.cluster.local, trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}, subsets: [{name: v3, labels: {version: v3}}, {name: v1, labels: {version: v2}}]}', 'default', '2026-02-01T00:00:00Z'),
      ...dr('reviews', '{host: reviews, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}'),
    ];
    expect(clusterNames(objects)).to.deep.equal(['', 'v1', 'v2', 'v3'].map((s) => `outbound|9080|${s}|${REVIEWS}`));
    expect(cluster(objects, 'v3')).to.include({ lb_policy: 'RING_HASH' });
    // v1 is the oldest rule's: version v1 (the newer rule's v1 is ignored), so its endpoints are reviews-v1's only.
    const eds = generateGrpc(snapshot(objects, base()), grpcNode(), TypeUrls.endpoint, [`outbound|9080|v1|${REVIEWS}`])[0]!.resource as any;
    const ips = eds.endpoints.flatMap((l: any) => l.lb_endpoints.map((e: any) => e.endpoint.address.socket_address.address));
    expect(ips).to.deep.equal(['127.0.0.11']);
  });

  it('the newer rule’s trafficPolicy counts when the oldest has none', () => {
    const objects = [
      ...dr('a', '{host: reviews, subsets: [{name: v1, labels: {version: v1}}]}'),
      ...dr('b', '{host: reviews, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}}', 'default', '2026-02-01T00:00:00Z'),
    ];
    expect(cluster(objects, '')).to.include({ lb_policy: 'RING_HASH' });
    expect(cluster(objects, 'v1')).to.include({ lb_policy: 'RING_HASH' });
  });

  it('rules in other namespaces, with other exports, or for other hosts are not merged', () => {
    const v1 = '[{name: v1, labels: {version: v1}}]';
    const v3 = '[{name: v3, labels: {version: v3}}]';
    expect(clusterNames([...dr('a', `{host: reviews, subsets: ${v1}}`), ...dr('b', `{host: reviews.default.svc.cluster.local, subsets: ${v3}}`, 'other')])).to.deep.equal(
      ['', 'v1'].map((s) => `outbound|9080|${s}|${REVIEWS}`),
    );
    expect(clusterNames([...dr('a', `{host: reviews, subsets: ${v1}}`), ...dr('b', `{host: reviews, exportTo: ["."], subsets: ${v3}}`, 'default', '2026-02-01T00:00:00Z')])).to.deep.equal(
      ['', 'v1'].map((s) => `outbound|9080|${s}|${REVIEWS}`),
    );
    expect(clusterNames([...dr('a', `{host: reviews, subsets: ${v1}}`), ...dr('b', `{host: "*.default.svc.cluster.local", subsets: ${v3}}`)])).to.deep.equal(
      ['', 'v1'].map((s) => `outbound|9080|${s}|${REVIEWS}`),
    );
  });

  it('Envoy clusters see the merged rule too', () => {
    const objects = [...dr('a', '{host: reviews, subsets: [{name: v1, labels: {version: v1}}]}'), ...dr('b', '{host: reviews, subsets: [{name: v3, labels: {version: v3}}]}', 'default', '2026-02-01T00:00:00Z')];
    const names = generate(snapshot(objects, base()), proxy('sidecar~127.0.0.2~client.default~default.svc.cluster.local'), TypeUrls.cluster).map((c) => c.name);
    expect(names).to.include.members([`outbound|9080|v1|${REVIEWS}`, `outbound|9080|v3|${REVIEWS}`]);
  });

  describe('workloadSelector', () => {
    const v1Is = (version: string) => `[{name: v1, labels: {version: ${version}}}]`;
    const subsetV1 = (objects: ReturnType<typeof yaml>, namespace = 'default', labels: Record<string, string> = {}): string[] => {
      const eds = generateGrpc(snapshot(objects, base()), grpcNode(namespace, labels), TypeUrls.endpoint, [`outbound|9080|v1|${REVIEWS}`])[0]?.resource as any;
      return (eds?.endpoints ?? []).flatMap((l: any) => l.lb_endpoints.map((e: any) => e.endpoint.address.socket_address.address));
    };
    const everyone = () => dr('reviews', `{host: reviews, subsets: ${v1Is('v1')}}`);
    const forTester = (namespace = 'default', created = '2026-03-01T00:00:00Z') =>
      dr('reviews-tester', `{host: reviews, workloadSelector: {matchLabels: {app: tester}}, subsets: ${v1Is('v3')}}`, namespace, created);

    it('a rule with a selector applies to the workloads it selects in its namespace, before the rule without one', () => {
      const objects = [...everyone(), ...forTester()];
      expect(subsetV1(objects, 'default', { app: 'tester' })).to.deep.equal(['127.0.0.13', '127.0.0.14']); // v3, both pods
      expect(subsetV1(objects, 'default', { app: 'productpage' })).to.deep.equal(['127.0.0.11']);
      expect(subsetV1(objects, 'other', { app: 'tester' }), 'another namespace').to.deep.equal(['127.0.0.11']);
    });

    it('a selector in another namespace than the workload’s selects nothing there', () => {
      expect(subsetV1([...everyone(), ...forTester('other')], 'default', { app: 'tester' })).to.deep.equal(['127.0.0.11']);
    });

    it('rules with the same selector merge; a rule with another selector does not join them', () => {
      const objects = [
        ...forTester(),
        ...dr('reviews-tester-v2', '{host: reviews, workloadSelector: {matchLabels: {app: tester}}, subsets: [{name: v2, labels: {version: v2}}]}', 'default', '2026-04-01T00:00:00Z'),
        ...dr('reviews-other', '{host: reviews, workloadSelector: {matchLabels: {app: other}}, subsets: [{name: v9, labels: {version: v9}}]}'),
      ];
      const names = generateGrpc(snapshot(objects, base()), grpcNode('default', { app: 'tester' }), TypeUrls.cluster).map((c) => c.name).filter((n) => n.endsWith(REVIEWS));
      expect(names).to.deep.equal(['', 'v1', 'v2'].map((s) => `outbound|9080|${s}|${REVIEWS}`));
    });

    it('a more specific host wins over a selector: the exact host without selector beats a wildcard with one', () => {
      const objects = [...everyone(), ...dr('wild', `{host: "*.default.svc.cluster.local", workloadSelector: {matchLabels: {app: tester}}, subsets: ${v1Is('v3')}}`)];
      expect(subsetV1(objects, 'default', { app: 'tester' })).to.deep.equal(['127.0.0.11']);
    });

    it('Envoy sidecars see the rule for their labels too', () => {
      const objects = [...everyone(), ...forTester()];
      const envoy = (labels: Record<string, string>) =>
        generate(snapshot(objects, base()), proxy('sidecar~127.0.0.2~client.default~default.svc.cluster.local', { LABELS: labels }), TypeUrls.endpoint).find((c) => c.name === `outbound|9080|v1|${REVIEWS}`)!.resource as any;
      const ips = (cla: any) => cla.endpoints.flatMap((l: any) => l.lb_endpoints.map((e: any) => e.endpoint.address.socket_address.address));
      expect(ips(envoy({ app: 'tester' }))).to.deep.equal(['127.0.0.13', '127.0.0.14']);
      expect(ips(envoy({ app: 'productpage' }))).to.deep.equal(['127.0.0.11']);
    });
  });

  it('mergeDestinationRules leaves its inputs alone and skips subsets without a name', () => {
    const mk = (name: string, spec: Record<string, unknown>): Config => ({ kind: 'DestinationRule', apiVersion: 'networking.istio.io/v1', name, namespace: 'default', labels: {}, annotations: {}, spec, revision: 0 });
    const a = mk('a', { host: 'reviews', subsets: [{ name: 'v1' }] });
    const b = mk('b', { host: 'reviews', subsets: [{ labels: {} }, 5, { name: 'v2' }], trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
    const merged = mergeDestinationRules(a, [b]);
    expect(merged.spec).to.deep.equal({ host: 'reviews', subsets: [{ name: 'v1' }, { name: 'v2' }], trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
    expect(a.spec).to.deep.equal({ host: 'reviews', subsets: [{ name: 'v1' }] });
    expect(mergeDestinationRules(a, [])).to.equal(a);
  });
});
