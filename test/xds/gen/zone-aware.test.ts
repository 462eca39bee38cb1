/**
 * Zone-aware load balancing (zoneAwareLbSetting of a DestinationRule or the mesh config) as istiod applies it: the
 * cluster's zone_aware_lb_config, the endpoints' priorities by region (and failoverPriority labels), the choice
 * between the rule's and the mesh config's settings, and `enabled: false`.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import type { Endpoint } from '../../../src/model/types.js';
import { buildSnapshot, type SnapshotOptions } from '../../../src/model/snapshot.js';
import { parseNode, type Proxy } from '../../../src/model/proxy.js';
import { kubePod, kubeService } from '../../../src/demo/objects.js';
import { generate, proxyScope } from '../../../src/xds/gen/index.js';
import { localityPlan } from '../../../src/xds/gen/locality.js';
import { applyZoneAware, zoneAwareLbConfig, zoneAwareOf } from '../../../src/xds/gen/zone-aware.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { byName, expectValid } from './helpers.js';
import { grpcDecode } from './grpc/grpc-accepts.js';

/** echo: two zones of r1, one of r2, one of r3; two versions. */
const pod = (name: string, ip: string, region: string, zone: string, version = 'v1'): KubeObject =>
  kubePod({ name, ip, app: 'echo', version, labels: { 'topology.kubernetes.io/region': region, 'topology.kubernetes.io/zone': zone } });
const MESH: KubeObject[] = [
  kubeService({ name: 'echo', port: 8080 }),
  pod('echo-a', '10.0.0.1', 'r1', 'z1'),
  pod('echo-b', '10.0.0.2', 'r1', 'z2', 'v2'),
  pod('echo-c', '10.0.0.3', 'r2', 'z9'),
  pod('echo-d', '10.0.0.4', 'r3', 'z8'),
];
const CLUSTER = 'outbound|8080||echo.default.svc.cluster.local';

const rule = (trafficPolicy: Record<string, unknown>): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'echo', namespace: 'default' },
  spec: { host: 'echo', trafficPolicy },
});

function client(region = 'r1', extra: Record<string, unknown> = {}): Proxy {
  const r = parseNode({ id: `sidecar~10.1.0.1~client-${region}.default~default.svc.cluster.local`, metadata: { LABELS: { app: 'client', version: 'v1' }, ...extra }, locality: { region, zone: 'z1' } });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

/** echo's cluster for a client, checked against Envoy's protos. */
function cluster(objects: KubeObject[], opts: SnapshotOptions = {}, node = client()): any {
  const out = generate(buildSnapshot(objects, opts), node, TypeUrls.cluster);
  expectValid(TypeUrls.cluster, out);
  return byName(out, CLUSTER);
}

/** address → priority in echo's assignment for a client, checked against Envoy's protos. */
function priorities(objects: KubeObject[], opts: SnapshotOptions = {}, node = client()): Record<string, number> {
  const out = generate(buildSnapshot(objects, opts), node, TypeUrls.endpoint);
  expectValid(TypeUrls.endpoint, out);
  const la = byName(out, CLUSTER);
  return Object.fromEntries(la.endpoints.flatMap((g: any) => g.lb_endpoints.map((e: any) => [e.endpoint.address.socket_address.address, g.priority ?? 0])));
}

describe('zone-aware load balancing: clusters', () => {
  const cases: Array<{ name: string; objects: KubeObject[]; opts?: SnapshotOptions; want: unknown }> = [
    { name: "the rule's, empty: Envoy's defaults", objects: [rule({ loadBalancer: { zoneAwareLbSetting: {} } })], want: { zone_aware_lb_config: {} } },
    { name: 'minClusterSize', objects: [rule({ loadBalancer: { simple: 'ROUND_ROBIN', zoneAwareLbSetting: { enabled: true, minClusterSize: 3 } } })], want: { zone_aware_lb_config: { min_cluster_size: { value: 3 } } } },
    { name: 'enabled: false: routing at 0%', objects: [rule({ loadBalancer: { zoneAwareLbSetting: { enabled: false, minClusterSize: 2 } } })], want: { zone_aware_lb_config: { routing_enabled: { value: 0 }, min_cluster_size: { value: 2 } } } },
    { name: "the mesh config's, with no rule", objects: [], opts: { zoneAwareLb: { minClusterSize: 4 } }, want: { zone_aware_lb_config: { min_cluster_size: { value: 4 } } } },
    { name: "the mesh config's over its localityLbSetting", objects: [rule({ outlierDetection: {} })], opts: { zoneAwareLb: {}, localityLb: { failover: [{ from: 'r1', to: 'r2' }] } }, want: { zone_aware_lb_config: {}, healthy_panic_threshold: { value: 0 } } },
    { name: "the rule's localityLbSetting over the mesh config's zone-aware one", objects: [rule({ loadBalancer: { localityLbSetting: { enabled: true } } })], opts: { zoneAwareLb: {} }, want: { locality_weighted_lb_config: {} } },
    { name: "the rule's zone-aware setting over the mesh config's distribute", objects: [rule({ loadBalancer: { zoneAwareLbSetting: { enabled: false } } })], opts: { localityLb: { distribute: [{ from: 'r1/*', to: { 'r1/*': 100 } }] } }, want: { zone_aware_lb_config: { routing_enabled: { value: 0 } } } },
  ];
  for (const c of cases) {
    it(c.name, () => expect(cluster([...MESH, ...c.objects], c.opts).common_lb_config).to.deep.equal(c.want));
  }

  it('a subset and a port take the setting of their own policy', () => {
    const base = rule({ loadBalancer: { zoneAwareLbSetting: {} } });
    const dr = { ...base, spec: { ...(base.spec as object), subsets: [{ name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }] } };
    const out = generate(buildSnapshot([...MESH, dr]), client(), TypeUrls.cluster);
    expect(byName(out, CLUSTER).common_lb_config).to.deep.equal({ zone_aware_lb_config: {} });
    expect(byName(out, 'outbound|8080|v2|echo.default.svc.cluster.local').common_lb_config).to.equal(undefined);
  });

  it('the Envoy config: zone_aware_lb_config as the oneof of common_lb_config (min_cluster_size a UInt64Value)', () => {
    expect(zoneAwareLbConfig(zoneAwareOf({}))).to.deep.equal({});
    expect(zoneAwareLbConfig(zoneAwareOf({ enabled: false }))).to.deep.equal({ routing_enabled: { value: 0 } });
    // What validation refuses never reaches here; what does not read is left out.
    expect(zoneAwareOf({ minClusterSize: 'six', failover: [{ from: 'a' }, 'x'], failoverPriority: 'version' })).to.deep.equal({ routing: true, failover: [] });
  });
});

describe('zone-aware load balancing: endpoint priorities', () => {
  it("the proxy's region first (all its zones at priority 0), every other region after", () => {
    const want = { '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.3': 1, '10.0.0.4': 1 };
    expect(priorities([...MESH, rule({ loadBalancer: { zoneAwareLbSetting: {} } })])).to.deep.equal(want);
    // Outlier detection or not, the rule's or the mesh config's.
    expect(priorities(MESH, { zoneAwareLb: {} })).to.deep.equal(want);
    expect(priorities(MESH, { zoneAwareLb: {} }, client('r2'))).to.deep.equal({ '10.0.0.1': 1, '10.0.0.2': 1, '10.0.0.3': 0, '10.0.0.4': 1 });
  });

  it("failover: the region named for the proxy's next, the rest last", () => {
    const za = { failover: [{ from: 'r9', to: 'r2' }, { from: 'r1', to: 'r3' }, { from: 'r1', to: 'r2' }] };
    expect(priorities([...MESH, rule({ outlierDetection: {}, loadBalancer: { zoneAwareLbSetting: za } })])).to.deep.equal({ '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.3': 2, '10.0.0.4': 1 });
  });

  it('failoverPriority: label priorities first, each split by region', () => {
    const za = { failoverPriority: ['version'], failover: [{ from: 'r1', to: 'r3' }] };
    // v1 (the client's): a r1 0, d r3 1, c r2 2; v2: b r1 3.
    expect(priorities([...MESH, rule({ outlierDetection: {}, loadBalancer: { zoneAwareLbSetting: za } })])).to.deep.equal({ '10.0.0.1': 0, '10.0.0.2': 3, '10.0.0.3': 2, '10.0.0.4': 1 });
  });

  it('enabled: false: no priorities', () => {
    const p = priorities([...MESH, rule({ outlierDetection: {}, loadBalancer: { zoneAwareLbSetting: { enabled: false, failover: [{ from: 'r1', to: 'r3' }] } } })]);
    expect(Object.values(p)).to.deep.equal([0, 0, 0, 0]);
  });

  it("a Service's trafficDistribution wins over the mesh config's setting, the rule's over both", () => {
    const preferring = MESH.map((o) => (o.kind === 'Service' ? { ...o, spec: { ...o.spec, trafficDistribution: 'PreferSameZone' } } : o));
    // Nearest zone first (the client is in r1/z1), not by region alone.
    expect(priorities(preferring, { zoneAwareLb: {} })).to.deep.equal({ '10.0.0.1': 0, '10.0.0.2': 1, '10.0.0.3': 2, '10.0.0.4': 2 });
    expect(priorities([...preferring, rule({ loadBalancer: { zoneAwareLbSetting: {} } })], { zoneAwareLb: {} })).to.deep.equal({ '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.3': 1, '10.0.0.4': 1 });
    expect(localityPlan({}, { enabled: true }, { trafficDistribution: 'PreferSameZone' }, {})).to.have.property('failoverPriority');
    expect(localityPlan({ loadBalancer: { localityLbSetting: { enabled: false } } }, undefined, undefined, {}), "the rule's locality setting, off").to.equal(undefined);
  });

  it('a proxy whose region is unknown: endpoints without a region are its own, as in istiod', () => {
    const group = (region?: string) => ({ locality: region ? { region } : {}, lb_endpoints: [] });
    const la = { cluster_name: 'c', endpoints: [group('r1'), group(), group('r2')] };
    const out = applyZoneAware(la, { locality: '', labels: {} }, zoneAwareOf({}));
    expect(out.endpoints.map((g: any) => g.priority ?? 0)).to.deep.equal([1, 0, 1]);
    expect(applyZoneAware(la, { locality: 'r1', labels: {} }, zoneAwareOf({ enabled: false })), 'routing off: as it was').to.equal(la);
    const ep: Endpoint = { address: '10.0.0.1', port: 80, servicePortName: 'http', labels: {}, locality: 'r1', weight: 1, healthy: true, tlsMode: 'disabled' };
    expect(() => applyZoneAware(la, { locality: 'r1', labels: { a: 'b' } }, zoneAwareOf({ failoverPriority: ['a'] })), 'a bug, not input').to.throw(/endpoints/);
    expect(applyZoneAware({ cluster_name: 'c', endpoints: [{ locality: { region: 'r1' }, lb_endpoints: [{ endpoint: {} }] }] }, { locality: 'r1', labels: { a: 'b' } }, zoneAwareOf({ failoverPriority: ['a'] }), [[ep]]).endpoints).to.have.length(1);
  });

  it('scopes: proxies of other regions are apart; the same region shares the memoized assignment', () => {
    const snap = buildSnapshot(MESH, { zoneAwareLb: {} });
    const [a, b, c] = [client('r1'), client('r2'), Object.assign(client('r1'), { locality: 'r1/z7' })];
    expect(proxyScope(snap, a)).to.not.equal(proxyScope(snap, b));
    const la = (p: Proxy) => byName(generate(snap, p, TypeUrls.endpoint), CLUSTER);
    expect(la(a), 'the memoized assignment').to.equal(la(c));
  });

  it('proxyless gRPC: the same priorities, and grpc-js-xds accepts them', () => {
    const snap = buildSnapshot([...MESH, rule({ loadBalancer: { zoneAwareLbSetting: { failover: [{ from: 'r1', to: 'r3' }] } } })]);
    const [cla] = generate(snap, client('r1', { GENERATOR: 'grpc' }), TypeUrls.endpoint, [CLUSTER]);
    const got = (cla!.resource as any).endpoints.map((g: any) => `${g.locality.region}:${g.priority ?? 0}`);
    expect(got).to.deep.equal(['r1:0', 'r1:0', 'r2:2', 'r3:1']);
    expect(grpcDecode(TypeUrls.endpoint, cla!.resource).error).to.equal(undefined);
  });
});
