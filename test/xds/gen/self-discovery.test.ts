/**
 * Self-discovery: the local_cluster assignment a proxy with ENABLE_SELF_DISCOVERY gets (its own workload's instances
 * of its local service, same ReplicaSet, same region), its scope, and which proxies cannot do the zone-aware
 * routing their clusters ask for.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { buildSnapshot, type SnapshotOptions } from '../../../src/model/snapshot.js';
import { parseNode, type Proxy } from '../../../src/model/proxy.js';
import { kubePod, kubeService } from '../../../src/demo/objects.js';
import { generate, proxyScope } from '../../../src/xds/gen/index.js';
import { LOCAL_CLUSTER, localService, selfDiscovery } from '../../../src/xds/gen/self-discovery.js';
import { zoneAwareWithoutSelfDiscovery } from '../../../src/xds/gen/zone-aware-proxies.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { expectValid } from './helpers.js';

/** A pod of a Deployment's ReplicaSet (`<workload>-<hash>`), in a region and zone. */
function replica(name: string, ip: string, workload: string, hash: string, region: string, zone: string, app = 'echo'): KubeObject {
  const p = kubePod({ name, ip, app, labels: { 'pod-template-hash': hash, 'topology.kubernetes.io/region': region, 'topology.kubernetes.io/zone': zone } });
  return { ...p, metadata: { ...p.metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${workload}-${hash}`, controller: true, uid: 'x' }] } } as KubeObject;
}

const MESH: KubeObject[] = [
  { ...kubeService({ name: 'echo', port: 8080, portName: 'http' }), spec: { selector: { app: 'echo' }, ports: [{ name: 'http', port: 8080 }, { name: 'grpc', port: 9090 }] } } as KubeObject,
  replica('echo-h1-a', '10.0.0.1', 'echo', 'h1', 'r1', 'z1'),
  replica('echo-h1-b', '10.0.0.2', 'echo', 'h1', 'r1', 'z2'),
  replica('echo-h1-c', '10.0.0.3', 'echo', 'h1', 'r2', 'z9'),
  // The previous ReplicaSet of the same Deployment, and another Deployment behind the same Service.
  replica('echo-h0-a', '10.0.0.4', 'echo', 'h0', 'r1', 'z1'),
  replica('canary-h1-a', '10.0.0.5', 'canary', 'h1', 'r1', 'z1'),
];

function node(meta: Record<string, unknown>, ip = '10.0.0.1'): Proxy {
  const r = parseNode({ id: `sidecar~${ip}~echo-h1-a.default~default.svc.cluster.local`, metadata: { LABELS: { app: 'echo', 'pod-template-hash': 'h1' }, WORKLOAD_NAME: 'echo', ...meta } });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}
const SD = { ENABLE_SELF_DISCOVERY: 'true' };

/** The proxy's local_cluster assignment (checked against Envoy's protos), or undefined when it gets none. */
function local(p: Proxy, objects = MESH, opts: SnapshotOptions = {}): any {
  const out = generate(buildSnapshot(objects, opts), p, TypeUrls.endpoint);
  expectValid(TypeUrls.endpoint, out);
  return out.find((r) => r.name === LOCAL_CLUSTER)?.resource;
}
const addresses = (la: any): string[] => la.endpoints.flatMap((g: any) => g.lb_endpoints.map((e: any) => `${g.locality.zone}:${e.endpoint.address.socket_address.address}:${e.endpoint.address.socket_address.port_value}`));

describe('self-discovery: local_cluster', () => {
  it("the proxy's own workload and ReplicaSet in its region, on its service's first port, by locality without priorities", () => {
    const la = local(node(SD));
    expect(la.cluster_name).to.equal(LOCAL_CLUSTER);
    expect(addresses(la)).to.deep.equal(['z1:10.0.0.1:8080', 'z2:10.0.0.2:8080']);
    expect(la.endpoints.every((g: any) => g.priority === undefined)).to.equal(true);
    // A zone-aware rule on the service changes the outbound cluster's priorities, not the local_cluster.
    const rule = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'echo', namespace: 'default' }, spec: { host: 'echo', trafficPolicy: { loadBalancer: { zoneAwareLbSetting: {} } } } } as KubeObject;
    expect(local(node(SD), [...MESH, rule])).to.deep.equal(la);
    // The region is the proxy's (its node's here).
    expect(addresses(local({ ...node(SD), locality: 'r2/z9' }))).to.deep.equal(['z9:10.0.0.3:8080']);
  });

  it('only for a proxy that asks, in one of Go\'s boolean spellings; an Envoy proxy only', () => {
    const cases: Array<[unknown, boolean]> = [['true', true], ['1', true], ['True', true], [true, true], ['false', false], ['yes', false], ['toString', false], [undefined, false], [1, false]];
    for (const [value, want] of cases) expect(selfDiscovery(node(value === undefined ? {} : { ENABLE_SELF_DISCOVERY: value })), String(value)).to.equal(want);
    expect(local(node({}))).to.equal(undefined);
    expect(selfDiscovery(node({ ...SD, GENERATOR: 'grpc' }))).to.equal(false);
  });

  it('an empty assignment when no service selects the proxy, or its workload name matches none', () => {
    expect(local(node(SD), MESH.filter((o) => o.kind !== 'Service'))).to.deep.equal({ cluster_name: LOCAL_CLUSTER, endpoints: [] });
    expect(local(node({ ...SD, WORKLOAD_NAME: 'other' })).endpoints).to.deep.equal([]);
    expect(local(node({ ...SD, WORKLOAD_NAME: 42 })).endpoints, 'not a string: no name').to.deep.equal([]);
  });

  it('the local service: the first by hostname of those that select the proxy', () => {
    const extra = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'aaa', namespace: 'default' }, spec: { selector: { app: 'echo' }, ports: [{ name: 'tcp', port: 7000 }] } } as KubeObject;
    const snap = buildSnapshot([...MESH, extra]);
    const got = localService(snap, node(SD));
    expect([got?.service.hostname, got?.port.port]).to.deep.equal(['aaa.default.svc.cluster.local', 7000]);
    expect(addresses(local(node(SD), [...MESH, extra]))).to.deep.equal(['z1:10.0.0.1:7000', 'z2:10.0.0.2:7000']);
  });

  it('scopes: a self-discovering proxy is apart from the others, and from another workload with the same labels', () => {
    const snap = buildSnapshot(MESH);
    expect(proxyScope(snap, node(SD))).to.not.equal(proxyScope(snap, node({})));
    expect(proxyScope(snap, node(SD))).to.not.equal(proxyScope(snap, node({ ...SD, WORKLOAD_NAME: 'canary' })));
    expect(proxyScope(snap, node(SD)), 'another replica of the same workload').to.equal(proxyScope(snap, node(SD, '10.0.0.2')));
  });
});

describe('self-discovery: zone-aware routing without it', () => {
  const rule = (za: unknown): KubeObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'echo', namespace: 'default' }, spec: { host: 'echo', trafficPolicy: { loadBalancer: { zoneAwareLbSetting: za } } } }) as KubeObject;

  it('names the clusters with zone-aware routing on, for an Envoy proxy without self-discovery', () => {
    const snap = buildSnapshot([...MESH, rule({})]);
    expect(zoneAwareWithoutSelfDiscovery(snap, node({}))).to.deep.equal(['outbound|8080||echo.default.svc.cluster.local', 'outbound|9090||echo.default.svc.cluster.local']);
    expect(zoneAwareWithoutSelfDiscovery(snap, node(SD))).to.deep.equal([]);
    expect(zoneAwareWithoutSelfDiscovery(snap, node({ GENERATOR: 'grpc' })), 'gRPC has no such config').to.deep.equal([]);
    expect(zoneAwareWithoutSelfDiscovery(buildSnapshot([...MESH, rule({ enabled: false })]), node({})), 'routing off').to.deep.equal([]);
    expect(zoneAwareWithoutSelfDiscovery(buildSnapshot(MESH), node({})), 'no setting anywhere').to.deep.equal([]);
    expect(zoneAwareWithoutSelfDiscovery(buildSnapshot(MESH, { zoneAwareLb: {} }), node({}))).to.have.length(2);
  });
});
