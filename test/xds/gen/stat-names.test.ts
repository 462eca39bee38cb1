/**
 * The mesh config's inboundClusterStatName and outboundClusterStatName, as istiod applies them: clusters'
 * alt_stat_name (the pattern, then ';') and tcp_proxies' stat_prefix, each variable replaced; unset, the clusters
 * keep no alt_stat_name and tcp_proxies their cluster's name.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import type { Snapshot } from '../../../src/model/types.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { DEFAULT_MESH_CONFIG, resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { generate } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { statName } from '../../../src/xds/gen/stat-names.js';
import { GATEWAY, MYSQL_SERVICE, PRODUCTPAGE, REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const REVIEWS = 'reviews.default.svc.cluster.local';
const ALL_VARIABLES = '%SERVICE%|%SERVICE_NAME%|%SERVICE_FQDN%|%SERVICE_PORT%|%TARGET_PORT%|%SERVICE_PORT_NAME%|%SUBSET_NAME%';

/** A TCP port on reviews landing on workload port 9100, a ServiceEntry host, and reviews' subsets. */
const EXTRA = `
apiVersion: v1
kind: Service
metadata: { name: reviews-tcp, namespace: default }
spec: { clusterIP: 10.96.7.7, selector: { app: reviews }, ports: [{ name: tcp-admin, port: 7000, targetPort: 9100 }] }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ext, namespace: default }
spec: { hosts: [api.example.com], addresses: [240.0.0.9], location: MESH_EXTERNAL, resolution: DNS, ports: [{ number: 443, name: tls-api, protocol: TLS }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: default }
spec: { host: reviews, subsets: [{ name: v1, labels: { version: v1 } }] }`;

function snapshotOf(mesh: Record<string, unknown>, more = ''): Snapshot {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join('; '));
  const objects: KubeObject[] = [...bookinfo(), ...yamlObjects(EXTRA + more), ...yamlObjects(MYSQL_SERVICE)];
  return buildSnapshot(objects, snapshotOptions(r.value));
}

const clustersOf = (snap: Snapshot, node: string) => {
  const out = generate(snap, proxy(node), TypeUrls.cluster);
  expectValid(TypeUrls.cluster, out);
  return out;
};
const listenersOf = (snap: Snapshot, node: string) => {
  const out = generate(snap, proxy(node), TypeUrls.listener);
  expectValid(TypeUrls.listener, out);
  return out;
};
/** The stat_prefix of every tcp_proxy in a listener's chains, by chain name (else its index). */
const tcpStats = (listener: any): Record<string, string> =>
  Object.fromEntries(
    (listener.filter_chains as any[]).flatMap((c, i) =>
      (c.filters as any[]).filter((f) => f.name === 'envoy.filters.network.tcp_proxy').map((f) => [c.name ?? String(i), f.typed_config.stat_prefix as string]),
    ),
  );

describe('mesh config: inboundClusterStatName and outboundClusterStatName', () => {
  it('unset: no alt_stat_name, and tcp_proxies named by their cluster', () => {
    const snap = snapshotOf({});
    for (const c of clustersOf(snap, REVIEWS_V1)) expect(c.resource.alt_stat_name, c.name).to.equal(undefined);
    expect(tcpStats(byName(listenersOf(snap, PRODUCTPAGE), '10.96.5.5_3306'))).to.deep.equal({ 0: 'outbound|3306||mysql.default.svc.cluster.local' });
    const inbound = tcpStats(byName(listenersOf(snap, REVIEWS_V1), 'virtualInbound'));
    expect(inbound['inbound|9100||']).to.equal('inbound|9100||');
    expect(inbound['virtualInbound-catchall-tcp']).to.equal('InboundPassthroughCluster');
  });

  it('outbound clusters: every variable, subsets too; %TARGET_PORT% is 0 there, as in istiod', () => {
    const snap = snapshotOf({ outboundClusterStatName: ALL_VARIABLES });
    const clusters = clustersOf(snap, PRODUCTPAGE);
    expect(byName(clusters, `outbound|9080||${REVIEWS}`).alt_stat_name).to.equal(`reviews.default|reviews|${REVIEWS}|9080|0|http|;`);
    expect(byName(clusters, `outbound|9080|v1|${REVIEWS}`).alt_stat_name).to.equal(`reviews.default|reviews|${REVIEWS}|9080|0|http|v1;`);
    // A ServiceEntry host is no Kubernetes Service: %SERVICE% and %SERVICE_NAME% are the host.
    expect(byName(clusters, 'outbound|443||api.example.com').alt_stat_name).to.equal('api.example.com|api.example.com|api.example.com|443|0|tls-api|;');
    // The static clusters and inbound ones keep theirs (no inbound pattern).
    expect(byName(clusters, 'PassthroughCluster').alt_stat_name).to.equal(undefined);
    for (const c of clustersOf(snap, REVIEWS_V1).filter((c) => c.name.startsWith('inbound|'))) expect(c.resource.alt_stat_name, c.name).to.equal(undefined);
  });

  it('inbound clusters: the first service landing on the port, %TARGET_PORT% the workload port', () => {
    const snap = snapshotOf({ inboundClusterStatName: ALL_VARIABLES });
    const clusters = clustersOf(snap, REVIEWS_V1);
    expect(byName(clusters, 'inbound|9080||').alt_stat_name).to.equal(`reviews.default|reviews|${REVIEWS}|9080|9080|http|;`);
    expect(byName(clusters, 'inbound|9100||').alt_stat_name).to.equal('reviews-tcp.default|reviews-tcp|reviews-tcp.default.svc.cluster.local|7000|9100|tcp-admin|;');
    expect(byName(clusters, `outbound|9080||${REVIEWS}`).alt_stat_name).to.equal(undefined);
  });

  it("outbound tcp_proxy: the pattern on one destination (a default route without the port's name, as istiod), VirtualService routes with their subset", () => {
    const pattern = { outboundClusterStatName: '%SERVICE%_%SERVICE_PORT%_%SERVICE_PORT_NAME%_%SUBSET_NAME%' };
    const plain = listenersOf(snapshotOf(pattern), PRODUCTPAGE);
    expect(tcpStats(byName(plain, '10.96.5.5_3306'))).to.deep.equal({ 0: 'mysql.default_3306__' });
    expect(tcpStats(byName(plain, '240.0.0.9_443'))).to.deep.equal({ 0: 'api.example.com_443__' });
    const routed = `
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: mysql, namespace: default }
spec: { host: mysql, subsets: [{ name: primary, labels: { role: primary } }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: mysql, namespace: default }
spec: { hosts: [mysql], tcp: [{ route: [{ destination: { host: mysql, subset: primary } }] }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: split, namespace: default }
spec: { hosts: [reviews-tcp], tcp: [{ route: [{ destination: { host: reviews-tcp }, weight: 50 }, { destination: { host: mysql }, weight: 50 }] }] }`;
    const listeners = listenersOf(snapshotOf(pattern, routed), PRODUCTPAGE);
    expect(tcpStats(byName(listeners, '10.96.5.5_3306'))).to.deep.equal({ 0: 'mysql.default_3306_tcp-mysql_primary' });
    // Two destinations keep mizzen's name for the split (the pattern names one cluster).
    expect(tcpStats(byName(listeners, '10.96.7.7_7000'))).to.deep.equal({ 0: 'outbound|7000||reviews-tcp.default.svc.cluster.local' });
  });

  it('inbound tcp_proxy: the landing service and its port; %TARGET_PORT% stays as written and the passthrough chain has no service', () => {
    const snap = snapshotOf({ inboundClusterStatName: 'in_%SERVICE_NAME%_%SERVICE_PORT%_%SERVICE_PORT_NAME%_%TARGET_PORT%' });
    const stats = tcpStats(byName(listenersOf(snap, REVIEWS_V1), 'virtualInbound'));
    expect(stats['inbound|9100||']).to.equal('in_reviews-tcp_7000_tcp-admin_%TARGET_PORT%');
    expect(stats['virtualInbound-catchall-tcp']).to.equal('in__0_virtualInbound_%TARGET_PORT%');
    expect(stats['virtualInbound-blackhole']).to.equal('BlackHoleCluster');
    // HTTP ports have no tcp_proxy; their connection manager keeps its prefix.
    expect(stats['inbound|9080||']).to.equal(undefined);
  });

  it("a Sidecar's ingress listeners: their own port and name, the landing service's host for the cluster, <sidecar>.<namespace> for chains and ports no service lands on", () => {
    const sidecar = `
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: rv, namespace: default }
spec:
  workloadSelector: { labels: { app: reviews } }
  ingress:
  - { port: { number: 9100, protocol: TCP, name: admin }, defaultEndpoint: 127.0.0.1:9100 }
  - { port: { number: 8000, protocol: TCP, name: extra }, defaultEndpoint: 127.0.0.1:8000 }`;
    const snap = snapshotOf({ inboundClusterStatName: '%SERVICE%:%SERVICE_PORT%:%SERVICE_PORT_NAME%:%TARGET_PORT%' }, sidecar);
    const clusters = clustersOf(snap, REVIEWS_V1);
    expect(byName(clusters, 'inbound|9100||').alt_stat_name).to.equal('reviews-tcp.default:9100:admin:9100;');
    expect(byName(clusters, 'inbound|8000||').alt_stat_name).to.equal('rv.default:8000:extra:8000;');
    const stats = tcpStats(byName(listenersOf(snap, REVIEWS_V1), 'virtualInbound'));
    expect(stats['inbound|9100||']).to.equal('rv.default:9100:admin:%TARGET_PORT%');
    expect(stats['inbound|8000||']).to.equal('rv.default:8000:extra:%TARGET_PORT%');
  });

  it('gateway tcp routes: the pattern with the server port', () => {
    const gw = `
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: tcp-gw, namespace: istio-system }
spec: { selector: { istio: ingressgateway }, servers: [{ port: { number: 31400, name: tcp-in, protocol: TCP }, hosts: ['*'] }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: tcp-in, namespace: default }
spec: { hosts: ['*'], gateways: [istio-system/tcp-gw], tcp: [{ route: [{ destination: { host: mysql, port: { number: 3306 } } }] }] }`;
    const snap = snapshotOf({ outboundClusterStatName: '%SERVICE_FQDN%_%SERVICE_PORT%_%SERVICE_PORT_NAME%' }, gw);
    const listeners = listenersOf(snap, GATEWAY);
    const l = listeners.find((x) => x.name.endsWith('31400'));
    expect(l, listeners.map((x) => x.name).join(', ')).to.not.equal(undefined);
    expect(Object.values(tcpStats(l!.resource))).to.deep.equal(['mysql.default.svc.cluster.local_31400_tcp-in']);
    expect(byName(clustersOf(snap, GATEWAY), 'outbound|3306||mysql.default.svc.cluster.local').alt_stat_name).to.equal('mysql.default.svc.cluster.local_3306_tcp-mysql;');
  });

  it('a memoized cluster follows the mesh config: the same service under another pattern gets its own name', () => {
    const a = snapshotOf({ outboundClusterStatName: 'a_%SERVICE%' });
    expect(byName(clustersOf(a, PRODUCTPAGE), `outbound|9080||${REVIEWS}`).alt_stat_name).to.equal('a_reviews.default;');
    const b = { ...a, mesh: { ...a.mesh, outboundClusterStatName: 'b_%SERVICE%' } };
    expect(byName(clustersOf(b, PRODUCTPAGE), `outbound|9080||${REVIEWS}`).alt_stat_name).to.equal('b_reviews.default;');
  });

  it('statName: variables replaced in Istio order, unknown ones kept, a value never read as a variable', () => {
    const t = { fqdn: 'h.ns.svc', short: 'h.ns', name: 'h', subset: '%SERVICE%', port: 80, portName: 'http' };
    expect(statName('%SERVICE%-%FOO%-%SUBSET_NAME%-%TARGET_PORT%', t)).to.equal('h.ns-%FOO%-%SERVICE%-%TARGET_PORT%');
    expect(statName('%SERVICE_PORT%%SERVICE_PORT_NAME%', { ...t, targetPort: 8080 })).to.equal('80http');
  });
});

describe('mesh config: the stat name patterns when loaded', () => {
  it('a string is applied and no longer warned as not applied', () => {
    const r = resolveMeshConfig({ inboundClusterStatName: 'in_%SERVICE%', outboundClusterStatName: 'out_%SERVICE%' });
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.warnings ?? []).to.deep.equal([]);
    expect(snapshotOptions(r.value)).to.include({ inboundClusterStatName: 'in_%SERVICE%', outboundClusterStatName: 'out_%SERVICE%' });
    expect(snapshotOptions(DEFAULT_MESH_CONFIG)).to.not.have.any.keys('inboundClusterStatName', 'outboundClusterStatName');
  });

  it('a non-string is an error naming the field', () => {
    for (const field of ['inboundClusterStatName', 'outboundClusterStatName']) {
      const r = resolveMeshConfig({ [field]: 42 });
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.errors).to.deep.equal([`${field}: must be a string`]);
    }
  });

  it('an unknown variable is a warning naming it (kept as written, as istiod does); %TARGET_PORT% outbound too', () => {
    const r = resolveMeshConfig({ inboundClusterStatName: '%SERVICE%_%HOST%_%HOST%', outboundClusterStatName: '%TARGET_PORT%_%service%' });
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    const w = r.warnings ?? [];
    expect(w).to.have.length(3);
    expect(w[0]).to.match(/^inboundClusterStatName: %HOST% is not one of Istio's variables .*kept as written/);
    expect(w[1]).to.match(/^outboundClusterStatName: %service% is not one of Istio's variables/);
    expect(w[2]).to.match(/^outboundClusterStatName: %TARGET_PORT% is 0 for outbound clusters/);
    expect(r.value.inboundClusterStatName).to.equal('%SERVICE%_%HOST%_%HOST%');
  });
});
