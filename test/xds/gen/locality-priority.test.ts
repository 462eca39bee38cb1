/**
 * localityLbSetting.failoverPriority in EDS (Envoy and proxyless gRPC), as istiod's applyFailoverPriorities sets it:
 * priorities by the ordered labels an endpoint matches with the client, topology labels from locality, network and
 * cluster, combined with locality failover only when `failover` is set; and proxy scopes that keep apart the
 * proxies it treats differently.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import type { Endpoint } from '../../../src/model/types.js';
import { buildSnapshot, updateSnapshot } from '../../../src/model/snapshot.js';
import { parseNode, type Proxy } from '../../../src/model/proxy.js';
import { kubePod, kubeService } from '../../../src/demo/objects.js';
import { generate, proxyScope } from '../../../src/xds/gen/index.js';
import { applyLocality, localityPlan } from '../../../src/xds/gen/locality.js';
import { endpointLabel, labelPriority, priorityLabels, proxyTopologyLabels } from '../../../src/xds/gen/failover-priority.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { byName, expectValid } from './helpers.js';
import { grpcDecode } from './grpc/grpc-accepts.js';

const ep = (labels: Record<string, string>, locality = '', address = '10.0.0.1'): Endpoint => ({ address, port: 80, servicePortName: 'http', labels, locality, weight: 1, healthy: true, tlsMode: 'disabled' });

describe('failoverPriority: label priorities', () => {
  it('key-only labels: N minus how many labels match the proxy in order; a later label counts only after the earlier ones', () => {
    const list = priorityLabels(['a', 'b', 'c']);
    const me = { a: '1', b: '2', c: '3' };
    const cases: Array<[Record<string, string>, number]> = [
      [{ a: '1', b: '2', c: '3' }, 0],
      [{ a: '1', b: '2', c: 'x' }, 1],
      [{ a: '1', b: 'x', c: '3' }, 2],
      [{ a: 'x', b: '2', c: '3' }, 3],
      [{}, 3],
    ];
    for (const [labels, want] of cases) expect(labelPriority(me, ep(labels), list), JSON.stringify(labels)).to.equal(want);
    // A label the proxy lacks matches endpoints that lack it too (both empty), as in istiod.
    expect(labelPriority({ a: '1' }, ep({ a: '1' }), priorityLabels(['a', 'b']))).to.equal(0);
  });

  it('key=value labels compare the endpoint with the value, not with the proxy; `a=b=c` is the key a', () => {
    expect(priorityLabels(['version=v1', 'zone', 'a=b=c', 7])).to.deep.equal([{ key: 'version', value: 'v1' }, { key: 'zone' }, { key: 'a' }]);
    const list = priorityLabels(['version=v1', 'topology.istio.io/cluster=Kubernetes']);
    expect(labelPriority({ version: 'v2' }, ep({ version: 'v1' }), list)).to.equal(0);
    expect(labelPriority({ version: 'v1' }, ep({ version: 'v2' }), list)).to.equal(2);
    expect(labelPriority({}, ep({ version: 'v1' }), priorityLabels(['version=v1', 'topology.istio.io/cluster=elsewhere']))).to.equal(1);
  });

  it("topology labels: an endpoint's locality parts (over its labels), the one cluster mizzen reads, its network label", () => {
    const e = ep({ 'topology.kubernetes.io/region': 'stale', 'topology.istio.io/network': 'n1' }, 'r1/z1');
    expect(['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone', 'topology.istio.io/cluster', 'topology.istio.io/network'].map((k) => endpointLabel(e, k))).to.deep.equal(['r1', 'z1', '', 'Kubernetes', 'n1']);
    expect(endpointLabel(ep({ 'topology.kubernetes.io/region': 'r7' }, '/z1'), 'topology.kubernetes.io/region'), 'no region in the locality: the label').to.equal('r7');
    // A proxy: its locality, CLUSTER_ID and NETWORK metadata; a network label of its own wins over the metadata.
    expect(proxyTopologyLabels({ app: 'x' }, 'r1/z1/s1', { CLUSTER_ID: 'Kubernetes', NETWORK: 'n2' })).to.deep.equal({
      app: 'x',
      'topology.kubernetes.io/region': 'r1',
      'topology.kubernetes.io/zone': 'z1',
      'topology.istio.io/subzone': 's1',
      'topology.istio.io/cluster': 'Kubernetes',
      'topology.istio.io/network': 'n2',
    });
    expect(proxyTopologyLabels({ 'topology.istio.io/network': 'n1' }, '', { NETWORK: 'n2' })).to.deep.equal({ 'topology.istio.io/network': 'n1' });
  });

  it("the plan: failoverPriority from the rule's setting, else the mesh config's; only with outlier detection; distribute wins", () => {
    const fp = { failoverPriority: ['version'] };
    expect(localityPlan({ outlierDetection: {}, loadBalancer: { localityLbSetting: fp } }, undefined)).to.deep.equal({ failover: [], failoverPriority: [{ key: 'version' }] });
    expect(localityPlan({ outlierDetection: {} }, { enabled: true, ...fp })).to.deep.equal({ failover: [], failoverPriority: [{ key: 'version' }] });
    expect(localityPlan({ loadBalancer: { localityLbSetting: fp } }, undefined), 'no outlier detection').to.equal(undefined);
    expect(localityPlan({ outlierDetection: {}, loadBalancer: { localityLbSetting: { failover: [{ from: 'a', to: 'b' }] } } }, fp), "the rule's setting replaces the mesh's whole").to.deep.equal({ failover: [{ from: 'a', to: 'b' }] });
    expect(localityPlan({ outlierDetection: {}, loadBalancer: { localityLbSetting: { ...fp, enabled: false } } }, undefined)).to.equal(undefined);
  });

  it('applyLocality: each locality split by label priority (weights summed), renumbered without gaps; no labels: as it was', () => {
    const group = (zone: string, n: number) => ({ locality: { region: 'r1', zone }, lb_endpoints: Array.from({ length: n }, (_, i) => ({ endpoint: { i }, load_balancing_weight: { value: i + 1 } })), load_balancing_weight: { value: 99 } });
    const la = { cluster_name: 'c', endpoints: [group('z1', 3), group('z2', 1)] };
    const eps = [[ep({ v: 'a' }), ep({ v: 'b' }), ep({ v: 'a' })], [ep({ v: 'c' })]];
    const plan = { failover: [], failoverPriority: priorityLabels(['g', 'v']) };
    const out = applyLocality(la, { locality: 'r1/z2', labels: { v: 'a' } }, plan, eps);
    // Raw priorities 0 (v=a), 1 (v=b), 1 (v=c): the locality plays no part without `failover`.
    expect(out.endpoints.map((g: any) => [g.locality.zone, g.priority ?? 0, g.lb_endpoints.map((e: any) => e.endpoint.i), g.load_balancing_weight.value])).to.deep.equal([
      ['z1', 0, [0, 2], 4],
      ['z1', 1, [1], 2],
      ['z2', 1, [0], 1],
    ]);
    expect(applyLocality(la, { locality: 'r1/z2', labels: {} }, plan, eps), 'a proxy without labels').to.equal(la);
    expect(() => applyLocality(la, { locality: '', labels: { v: 'a' } }, plan)).to.throw(/endpoints/);
  });

  it('with failover too: label priority first, then locality nearness within it (as istiod: label × 5 + nearness)', () => {
    const la = {
      cluster_name: 'c',
      endpoints: ['r1/z1', 'r1/z2', 'r2/z1', 'r3/z1'].map((l) => ({ locality: { region: l.split('/')[0], zone: l.split('/')[1] }, lb_endpoints: [{ load_balancing_weight: { value: 1 } }, { load_balancing_weight: { value: 1 } }] })),
    };
    const eps = ['r1/z1', 'r1/z2', 'r2/z1', 'r3/z1'].map((l) => [ep({ v: 'a' }, l), ep({ v: 'b' }, l)]);
    const plan = { failover: [{ from: 'r1', to: 'r3' }], failoverPriority: priorityLabels(['v']) };
    const out = applyLocality(la, { locality: 'r1/z1', labels: { v: 'a' } }, plan, eps);
    const got = out.endpoints.map((g: any) => `${g.locality.region}/${g.locality.zone}:${g.priority ?? 0}`);
    // v=a: r1/z1 0, r1/z2 (zone) 1, r3 (failover target) 2, r2 3; then v=b the same way: 4 5 6 7.
    expect(got).to.deep.equal(['r1/z1:0', 'r1/z1:4', 'r1/z2:1', 'r1/z2:5', 'r2/z1:3', 'r2/z1:7', 'r3/z1:2', 'r3/z1:6']);
  });
});

/** One service, four pods: networks n1/n2, versions v1/v2, regions r1/r2. */
const pod = (name: string, ip: string, version: string, network: string, region: string, zone: string): KubeObject =>
  kubePod({ name, ip, app: 'echo', version, labels: { 'topology.istio.io/network': network, 'topology.kubernetes.io/region': region, 'topology.kubernetes.io/zone': zone } });
const MESH: KubeObject[] = [
  kubeService({ name: 'echo', port: 8080 }),
  pod('echo-a1', '10.0.0.1', 'v1', 'n1', 'r1', 'z1'),
  pod('echo-a2', '10.0.0.2', 'v2', 'n1', 'r1', 'z1'),
  pod('echo-b1', '10.0.0.3', 'v1', 'n2', 'r1', 'z2'),
  pod('echo-c1', '10.0.0.4', 'v1', 'n1', 'r2', 'z9'),
];
const rule = (localityLbSetting: unknown): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'echo', namespace: 'default' },
  spec: { host: 'echo', trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 }, ...(localityLbSetting ? { loadBalancer: { localityLbSetting } } : {}) } },
});
const CLUSTER = 'outbound|8080||echo.default.svc.cluster.local';

function client(ip: string, network: string, extra: Record<string, unknown> = {}): Proxy {
  const r = parseNode({ id: `sidecar~${ip}~client-${ip}.default~default.svc.cluster.local`, metadata: { LABELS: { app: 'client', version: 'v1' }, CLUSTER_ID: 'Kubernetes', NETWORK: network, ...extra }, locality: { region: 'r1', zone: 'z1' } });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

/** address → priority in the proxy's EDS for echo (checked against Envoy's protos). */
function priorities(snap: ReturnType<typeof buildSnapshot>, node: Proxy): Record<string, number> {
  const out = generate(snap, node, TypeUrls.endpoint);
  expectValid(TypeUrls.endpoint, out);
  const la = byName(out, CLUSTER);
  return Object.fromEntries(la.endpoints.flatMap((g: any) => g.lb_endpoints.map((e: any) => [e.endpoint.address.socket_address.address, g.priority ?? 0])));
}

describe('failoverPriority: EDS', () => {
  const NETWORK_VERSION = ['topology.istio.io/network', 'version'];

  it('Envoy: by network, then version, from the client; locality not considered; weighted localities in CDS', () => {
    const snap = buildSnapshot([...MESH, rule({ failoverPriority: NETWORK_VERSION })]);
    expect(priorities(snap, client('10.1.0.1', 'n1'))).to.deep.equal({ '10.0.0.1': 0, '10.0.0.2': 1, '10.0.0.4': 0, '10.0.0.3': 2 });
    // On n2 only echo-b1 matches the network: the others all get the next priority (2, renumbered 1).
    expect(priorities(snap, client('10.1.0.2', 'n2'))).to.deep.equal({ '10.0.0.1': 1, '10.0.0.2': 1, '10.0.0.4': 1, '10.0.0.3': 0 });
    const cds = generate(snap, client('10.1.0.1', 'n1'), TypeUrls.cluster);
    expect(byName(cds, CLUSTER).common_lb_config.locality_weighted_lb_config).to.deep.equal({});
  });

  it('a locality group splits where its endpoints differ, each part weighted by its own endpoints', () => {
    const snap = buildSnapshot([...MESH, rule({ failoverPriority: NETWORK_VERSION })]);
    const la = byName(generate(snap, client('10.1.0.1', 'n1'), TypeUrls.endpoint), CLUSTER);
    expect(la.endpoints.map((g: any) => [g.locality.zone, g.priority ?? 0, g.lb_endpoints.length, g.load_balancing_weight.value])).to.deep.equal([
      ['z1', 0, 1, 1],
      ['z1', 1, 1, 1],
      ['z2', 2, 1, 1],
      ['z9', 0, 1, 1],
    ]);
  });

  it('topology labels region and zone come from the localities of the client and the endpoints', () => {
    const snap = buildSnapshot([...MESH, rule({ failoverPriority: ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone'] })]);
    expect(priorities(snap, client('10.1.0.1', 'n1'))).to.deep.equal({ '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.3': 1, '10.0.0.4': 2 });
  });

  it('key=value: the same priorities for every client', () => {
    const snap = buildSnapshot([...MESH, rule({ failoverPriority: ['version=v2', 'topology.istio.io/cluster=Kubernetes'] })]);
    const want = { '10.0.0.1': 1, '10.0.0.2': 0, '10.0.0.3': 1, '10.0.0.4': 1 };
    expect(priorities(snap, client('10.1.0.1', 'n1'))).to.deep.equal(want);
    expect(priorities(snap, client('10.1.0.2', 'n2'))).to.deep.equal(want);
  });

  it('with failover: network and version first, then nearness (the failover region before others)', () => {
    const snap = buildSnapshot([...MESH, rule({ failoverPriority: NETWORK_VERSION, failover: [{ from: 'r1', to: 'r2' }] })]);
    // Raw: a1 0·5+0, a2 1·5+0, b1 2·5+2, c1 0·5+3 → 0 5 12 3 → 0 2 3 1.
    expect(priorities(snap, client('10.1.0.1', 'n1'))).to.deep.equal({ '10.0.0.1': 0, '10.0.0.2': 2, '10.0.0.3': 3, '10.0.0.4': 1 });
  });

  it("the mesh config's failoverPriority applies where the rule has no localityLbSetting; none without outlier detection", () => {
    const snap = buildSnapshot([...MESH, rule(undefined)], { localityLb: { failoverPriority: NETWORK_VERSION } });
    expect(priorities(snap, client('10.1.0.1', 'n1'))).to.deep.equal({ '10.0.0.1': 0, '10.0.0.2': 1, '10.0.0.4': 0, '10.0.0.3': 2 });
    const plain = buildSnapshot(MESH, { localityLb: { failoverPriority: NETWORK_VERSION } });
    expect(Object.values(priorities(plain, client('10.1.0.1', 'n1')))).to.deep.equal([0, 0, 0, 0]);
  });

  it('scopes: clients with different values of the named labels are apart, with the same share scope and assignment', () => {
    const snap = buildSnapshot([...MESH, rule({ failoverPriority: NETWORK_VERSION })]);
    const [a, b, c] = [client('10.1.0.1', 'n1'), client('10.1.0.2', 'n2'), client('10.1.0.3', 'n1')];
    expect(proxyScope(snap, a)).to.not.equal(proxyScope(snap, b));
    expect(proxyScope(snap, a)).to.equal(proxyScope(snap, c));
    const la = (p: Proxy) => byName(generate(snap, p, TypeUrls.endpoint), CLUSTER);
    expect(la(a)).to.not.deep.equal(la(b));
    expect(la(a), 'the memoized assignment').to.equal(la(c));
    // Without any failoverPriority the network plays no part: the same scope.
    const none = buildSnapshot([...MESH, rule({})]);
    expect(proxyScope(none, a)).to.equal(proxyScope(none, b));
    // A list of key=value labels only reads no value of the client's: the network does not split them.
    const valued = buildSnapshot([...MESH, rule({ failoverPriority: ['topology.istio.io/network=n1'] })]);
    expect(proxyScope(valued, a)).to.equal(proxyScope(valued, b));
  });

  it('proxyless gRPC: the same priorities, and grpc-js-xds accepts the split assignment', () => {
    const snap = buildSnapshot([...MESH, rule({ failoverPriority: NETWORK_VERSION, failover: [{ from: 'r1', to: 'r2' }] })]);
    const node = client('10.1.0.1', 'n1', { GENERATOR: 'grpc' });
    const [cla] = generate(snap, node, TypeUrls.endpoint, [CLUSTER]);
    const r = cla!.resource as any;
    const got = Object.fromEntries(r.endpoints.flatMap((g: any) => g.lb_endpoints.map((e: any) => [e.endpoint.address.socket_address.address, g.priority ?? 0])));
    expect(got).to.deep.equal({ '10.0.0.1': 0, '10.0.0.2': 2, '10.0.0.3': 3, '10.0.0.4': 1 });
    expect(grpcDecode(TypeUrls.endpoint, r).error).to.equal(undefined);
    expect(proxyScope(snap, node)).to.not.equal(proxyScope(snap, client('10.1.0.2', 'n2', { GENERATOR: 'grpc' })));
  });
});

describe("a Service's trafficDistribution: nearest endpoints first", () => {
  const nearest = (how: 'spec' | 'annotation', value = 'PreferClose'): KubeObject => {
    const svc = kubeService({ name: 'echo', port: 8080 });
    return how === 'spec' ? { ...svc, spec: { ...svc.spec, trafficDistribution: value } } : { ...svc, metadata: { ...svc.metadata, annotations: { 'networking.istio.io/traffic-distribution': value } } };
  };
  const rest = MESH.slice(1);
  // Client n1, r1/z1: a1 and a2 share network, region and zone; c1 the network only; b1 nothing (another network).
  const NEAREST = { '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.4': 1, '10.0.0.3': 2 };

  it('PreferClose (spec) orders by network, region and zone, without outlier detection; weighted localities in CDS', () => {
    const snap = buildSnapshot([nearest('spec'), ...rest]);
    expect(snap.services.get('echo.default.svc.cluster.local')!.trafficDistribution).to.equal('PreferSameZone');
    expect(priorities(snap, client('10.1.0.1', 'n1'))).to.deep.equal(NEAREST);
    expect(priorities(snap, client('10.1.0.2', 'n2')), 'on n2, b1 is nearest').to.deep.equal({ '10.0.0.1': 1, '10.0.0.2': 1, '10.0.0.4': 1, '10.0.0.3': 0 });
    expect(byName(generate(snap, client('10.1.0.1', 'n1'), TypeUrls.cluster), CLUSTER).common_lb_config.locality_weighted_lb_config).to.deep.equal({});
  });

  it('PreferSameZone too, and the annotation (any case) where the spec says nothing; the spec wins over it', () => {
    expect(priorities(buildSnapshot([nearest('spec', 'PreferSameZone'), ...rest]), client('10.1.0.1', 'n1'))).to.deep.equal(NEAREST);
    expect(priorities(buildSnapshot([nearest('annotation', 'PreferSameZone'), ...rest]), client('10.1.0.1', 'n1'))).to.deep.equal(NEAREST);
    expect(priorities(buildSnapshot([nearest('annotation', 'preferclose'), ...rest]), client('10.1.0.1', 'n1')), 'the annotation without case').to.deep.equal(NEAREST);
    expect(Object.values(priorities(buildSnapshot([nearest('spec', 'preferclose'), ...rest]), client('10.1.0.1', 'n1'))), 'the field as written').to.deep.equal([0, 0, 0, 0]);
    const both = nearest('annotation');
    const specSaysOther = { ...both, spec: { ...both.spec, trafficDistribution: 'Any' } };
    expect(Object.values(priorities(buildSnapshot([specSaysOther, ...rest]), client('10.1.0.1', 'n1')))).to.deep.equal([0, 0, 0, 0]);
    expect(Object.values(priorities(buildSnapshot([nearest('spec', 'Unknown'), ...rest]), client('10.1.0.1', 'n1')))).to.deep.equal([0, 0, 0, 0]);
  });

  it('PreferSameZone disregards the subzone (as since Istio 1.27); PreferSameNode orders by subzone, then by node', () => {
    const at = (name: string, ip: string, subzone: string, node?: string): KubeObject => {
      const p = pod(name, ip, 'v1', 'n1', 'r1', 'z1');
      return { ...p, metadata: { ...p.metadata, labels: { ...p.metadata.labels, 'topology.istio.io/subzone': subzone } }, spec: { ...p.spec, ...(node ? { nodeName: node } : {}) } };
    };
    const pods = [at('same-node', '10.0.0.1', 's1', 'node-a'), at('same-subzone', '10.0.0.2', 's1', 'node-b'), at('other-subzone', '10.0.0.3', 's2', 'node-c'), pod('other-zone', '10.0.0.4', 'v1', 'n1', 'r1', 'z2')];
    const near = (kind: string) => buildSnapshot([nearest('spec', kind), ...pods]);
    const onNodeA = (extra: Record<string, unknown> = {}) => {
      const r = parseNode({ id: 'sidecar~10.1.0.1~client-1.default~default.svc.cluster.local', metadata: { LABELS: { app: 'client' }, NETWORK: 'n1', NODE_NAME: 'node-a', ...extra }, locality: { region: 'r1', zone: 'z1', sub_zone: 's1' } });
      if (!r.ok) throw new Error(r.errors.join('; '));
      return r.value;
    };
    expect(priorities(near('PreferSameZone'), onNodeA())).to.deep.equal({ '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.3': 0, '10.0.0.4': 1 });
    expect(near('PreferSameNode').services.get('echo.default.svc.cluster.local')!.trafficDistribution).to.equal('PreferSameNode');
    expect(priorities(near('PreferSameNode'), onNodeA())).to.deep.equal({ '10.0.0.1': 0, '10.0.0.2': 1, '10.0.0.3': 2, '10.0.0.4': 3 });
    // A proxy that does not know its node (the downward API left it unexpanded): no node is nearer than another.
    expect(priorities(near('PreferSameNode'), onNodeA({ NODE_NAME: '$(ISTIO_META_NODE_NAME)' }))).to.deep.equal({ '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.3': 1, '10.0.0.4': 2 });
    // Clients on other nodes are apart (their own EDS) once a Service prefers the same node.
    expect(proxyScope(near('PreferSameNode'), onNodeA())).to.not.equal(proxyScope(near('PreferSameNode'), onNodeA({ NODE_NAME: 'node-b' })));
    expect(proxyScope(near('PreferSameZone'), onNodeA())).to.equal(proxyScope(near('PreferSameZone'), onNodeA({ NODE_NAME: 'node-b' })));
  });

  it("a namespace's annotation is the default of its Services (Istio 1.30); a Service's own setting, even Any, wins", () => {
    const ns = (annotation?: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', ...(annotation ? { annotations: { 'networking.istio.io/traffic-distribution': annotation } } : {}) } });
    const plain = kubeService({ name: 'echo', port: 8080 });
    expect(priorities(buildSnapshot([ns('PreferSameZone'), plain, ...rest]), client('10.1.0.1', 'n1'))).to.deep.equal(NEAREST);
    expect(Object.values(priorities(buildSnapshot([ns('PreferSameZone'), nearest('annotation', 'Any'), ...rest]), client('10.1.0.1', 'n1')))).to.deep.equal([0, 0, 0, 0]);
    expect(Object.values(priorities(buildSnapshot([ns('PreferSameZone'), nearest('spec', 'Any'), ...rest]), client('10.1.0.1', 'n1')))).to.deep.equal([0, 0, 0, 0]);
    // Annotating the namespace later changes its Services, incrementally as from scratch.
    const before = [ns(), plain, ...rest];
    const after = [ns('PreferSameZone'), plain, ...rest];
    const inc = updateSnapshot(buildSnapshot(before), after, ['Namespace/default/default']);
    expect(inc.services.get('echo.default.svc.cluster.local')!.trafficDistribution).to.equal('PreferSameZone');
    expect(inc).to.deep.equal(buildSnapshot(after));
  });

  it("a DestinationRule's own localityLbSetting wins; one without it leaves the Service's order", () => {
    const off = buildSnapshot([nearest('spec'), ...rest, rule({ enabled: false })]);
    expect(Object.values(priorities(off, client('10.1.0.1', 'n1')))).to.deep.equal([0, 0, 0, 0]);
    const byVersion = buildSnapshot([nearest('spec'), ...rest, rule({ failoverPriority: ['version'] })]);
    expect(priorities(byVersion, client('10.1.0.1', 'n1'))).to.deep.equal({ '10.0.0.1': 0, '10.0.0.2': 1, '10.0.0.3': 0, '10.0.0.4': 0 });
    const noSetting = buildSnapshot([nearest('spec'), ...rest, rule(undefined)]);
    expect(priorities(noSetting, client('10.1.0.1', 'n1'))).to.deep.equal(NEAREST);
  });

  it('scopes: clients on other networks are apart once a Service asks for it, together otherwise', () => {
    const [a, b] = [client('10.1.0.1', 'n1'), client('10.1.0.2', 'n2')];
    expect(proxyScope(buildSnapshot([nearest('spec'), ...rest]), a)).to.not.equal(proxyScope(buildSnapshot([nearest('spec'), ...rest]), b));
    expect(proxyScope(buildSnapshot(MESH), a)).to.equal(proxyScope(buildSnapshot(MESH), b));
  });

  it('a ServiceEntry by its annotation; proxyless gRPC gets the same order', () => {
    const se: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'ext', namespace: 'default', annotations: { 'networking.istio.io/traffic-distribution': 'PreferClose' } },
      spec: { hosts: ['ext.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'STATIC', endpoints: [{ address: '10.2.0.1' }] },
    };
    expect(buildSnapshot([se]).services.get('ext.example.com')!.trafficDistribution).to.equal('PreferSameZone');
    const snap = buildSnapshot([nearest('spec'), ...rest]);
    const [cla] = generate(snap, client('10.1.0.1', 'n1', { GENERATOR: 'grpc' }), TypeUrls.endpoint, [CLUSTER]);
    const r = cla!.resource as any;
    expect(Object.fromEntries(r.endpoints.flatMap((g: any) => g.lb_endpoints.map((e: any) => [e.endpoint.address.socket_address.address, g.priority ?? 0])))).to.deep.equal(NEAREST);
    expect(grpcDecode(TypeUrls.endpoint, r).error).to.equal(undefined);
  });
});
