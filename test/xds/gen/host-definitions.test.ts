/**
 * One host defined by several ServiceEntries (and a Kubernetes Service): each namespace's proxies get the
 * definition Istio gives them (host-definitions.ts): a Kubernetes Service they see, else the first exported to their
 * namespace by name, else the first public one. Clusters, endpoints and routes follow; every output is checked
 * against Envoy's protos and validate rules.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import type { Snapshot } from '../../../src/model/types.js';
import { generate } from '../../../src/xds/gen/index.js';
import { definitionFor } from '../../../src/xds/gen/host-definitions.js';
import { expectValid, proxy } from './helpers.js';

const HOST = 'api.example.com';
const entry = (namespace: string, created: string, spec: Record<string, unknown>, name = 'api'): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name, namespace, creationTimestamp: created },
  spec: { hosts: [HOST], resolution: 'DNS', ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], ...spec },
});
const port = (n: number, name = `tcp-${n}`) => ({ ports: [{ number: n, name, protocol: 'TCP' }] });
const DAY1 = '2026-01-01T00:00:00Z';
const DAY2 = '2026-01-02T00:00:00Z';
const DAY3 = '2026-01-03T00:00:00Z';
const node = (namespace: string) => proxy(`sidecar~10.9.0.1~app-1.${namespace}~${namespace}.svc.cluster.local`);

function clustersFor(snap: Snapshot, namespace: string): string[] {
  const out = generate(snap, node(namespace), TypeUrls.cluster);
  expectValid(TypeUrls.cluster, out);
  return out.map((r) => r.name).filter((n) => n.endsWith(`|${HOST}`) || n.includes('|web.default.svc.cluster.local'));
}

describe('xds: hosts defined in several namespaces', () => {
  it('two teams each keep their own entry: each namespace gets its own, others none', () => {
    const snap = buildSnapshot([entry('a', DAY1, { exportTo: ['.'], ...port(443) }), entry('b', DAY2, { exportTo: ['.'], ...port(8443) })]);
    expect(clustersFor(snap, 'a')).to.deep.equal([`outbound|443||${HOST}`]);
    expect(clustersFor(snap, 'b')).to.deep.equal([`outbound|8443||${HOST}`]);
    expect(clustersFor(snap, 'c')).to.deep.equal([]);
  });

  it('an entry exported to a namespace comes before an older public one there; elsewhere the public one serves', () => {
    const snap = buildSnapshot([entry('pub', DAY1, port(443)), entry('b', DAY2, { exportTo: ['.'], ...port(8443) }), entry('c', DAY3, { exportTo: ['a'], ...port(9443) })]);
    expect(clustersFor(snap, 'b')).to.deep.equal([`outbound|8443||${HOST}`]);
    expect(clustersFor(snap, 'a')).to.deep.equal([`outbound|9443||${HOST}`]);
    expect(clustersFor(snap, 'x')).to.deep.equal([`outbound|443||${HOST}`]);
  });

  it('among public entries, the oldest serves', () => {
    const snap = buildSnapshot([entry('late', DAY2, port(8443)), entry('early', DAY1, port(443))]);
    for (const ns of ['early', 'late', 'x']) expect(clustersFor(snap, ns), ns).to.deep.equal([`outbound|443||${HOST}`]);
  });

  it('a Kubernetes Service wins where it is visible; its host’s ServiceEntry serves where it is not', () => {
    const snap = buildSnapshot([
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', annotations: { 'networking.istio.io/exportTo': '.' } }, spec: { ports: [{ name: 'http', port: 80 }] } },
      entry('x', DAY1, { hosts: ['web.default.svc.cluster.local'], ports: [{ number: 9999, name: 'http', protocol: 'HTTP' }] }),
    ]);
    expect(clustersFor(snap, 'default')).to.deep.equal(['outbound|80||web.default.svc.cluster.local']);
    expect(clustersFor(snap, 'other')).to.deep.equal(['outbound|9999||web.default.svc.cluster.local']);
  });

  it('each namespace’s endpoints come from its own definition (EDS)', () => {
    const statik = (address: string) => ({ resolution: 'STATIC', exportTo: ['.'], endpoints: [{ address }], ...port(5000) });
    const snap = buildSnapshot([entry('a', DAY1, statik('10.1.0.1')), entry('b', DAY2, statik('10.2.0.1'))]);
    const addresses = (ns: string): string[] => {
      const eds = generate(snap, node(ns), TypeUrls.endpoint).filter((r) => r.name === `outbound|5000||${HOST}`);
      expectValid(TypeUrls.endpoint, eds);
      return eds.flatMap((r: any) => r.resource.endpoints.flatMap((l: any) => l.lb_endpoints.map((e: any) => e.endpoint.address.socket_address.address)));
    };
    expect(addresses('a')).to.deep.equal(['10.1.0.1']);
    expect(addresses('b')).to.deep.equal(['10.2.0.1']);
  });

  it('a route without a port takes the only port of its namespace’s definition', () => {
    const vs: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'api', namespace: 'b' },
      spec: { hosts: ['front.b.svc.cluster.local'], http: [{ route: [{ destination: { host: HOST } }] }] },
    };
    const front: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'front', namespace: 'b' }, spec: { ports: [{ name: 'http', port: 80 }] } };
    const snap = buildSnapshot([entry('a', DAY1, port(443)), entry('b', DAY2, { exportTo: ['.'], ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }] }), front, vs]);
    const routes = generate(snap, node('b'), TypeUrls.route);
    expectValid(TypeUrls.route, routes);
    const clusters = routes.flatMap((r: any) => r.resource.virtual_hosts.flatMap((v: any) => v.routes.map((x: any) => x.route?.cluster))).filter(Boolean);
    expect(clusters).to.include(`outbound|8080||${HOST}`);
  });

  it('ServiceEntries of one namespace that define the host alike are one definition with every port', () => {
    const snap = buildSnapshot([entry('a', DAY1, port(443), 'api-tls'), entry('a', DAY2, port(80), 'api-plain')]);
    expect(clustersFor(snap, 'a')).to.have.members([`outbound|443||${HOST}`, `outbound|80||${HOST}`]);
  });

  it('definitionFor: none visible, one visible, and a host defined once', () => {
    const snap = buildSnapshot([entry('a', DAY1, { exportTo: ['.'] }), entry('b', DAY2, { exportTo: ['~'] })]);
    expect(definitionFor(snap, 'a', HOST)?.namespace).to.equal('a');
    expect(definitionFor(snap, 'b', HOST)).to.equal(undefined);
    expect(definitionFor(snap, 'a', 'nope.example.com')).to.equal(undefined);
    const once = buildSnapshot([entry('a', DAY1, { exportTo: ['.'] })]);
    expect(definitionFor(once, 'a', HOST)?.namespace).to.equal('a');
    expect(definitionFor(once, 'b', HOST)).to.equal(undefined);
  });
});

describe('xds: a dynamic-DNS host defined in several namespaces', () => {
  it('takes the dynamic forward proxy only where its namespace’s definition resolves dynamically', async () => {
    const { dynamicDnsTargets } = await import('../../../src/xds/gen/dynamic-dns.js');
    const wild = (namespace: string, created: string, resolution: string): KubeObject =>
      entry(namespace, created, { hosts: ['*.googleapis.com'], resolution, exportTo: ['.'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] }, 'google');
    const snap = buildSnapshot([wild('a', DAY1, 'DYNAMIC_DNS'), wild('b', DAY2, 'NONE')]);
    const cluster = ['outbound|443||*.googleapis.com'];
    expect(dynamicDnsTargets(snap, cluster, 'a')).to.deep.equal([{ host: '*.googleapis.com', port: 443 }]);
    expect(dynamicDnsTargets(snap, cluster, 'b')).to.deep.equal([]);
  });
});

describe('xds: a JWKS host defined in several namespaces', () => {
  it('names the cluster of the namespace’s own definition, or none where that definition lacks the port', async () => {
    const { jwksCluster } = await import('../../../src/xds/gen/jwt.js');
    const snap = buildSnapshot([entry('a', DAY1, { exportTo: ['.'], ...port(8443) }), entry('b', DAY2, { exportTo: ['.'] })]);
    expect(jwksCluster(snap, `https://${HOST}:8443/keys`, 'a')).to.equal(`outbound|8443||${HOST}`);
    expect(jwksCluster(snap, `https://${HOST}:8443/keys`, 'b')).to.equal(undefined);
    expect(jwksCluster(snap, `https://${HOST}/keys`, 'b')).to.equal(`outbound|443||${HOST}`);
  });
});

describe('xds: a JWKS host not visible in the namespace', () => {
  it('names no cluster there', async () => {
    const { jwksCluster } = await import('../../../src/xds/gen/jwt.js');
    const snap = buildSnapshot([entry('a', DAY1, { exportTo: ['.'] })]);
    expect(jwksCluster(snap, `https://${HOST}/keys`, 'a')).to.equal(`outbound|443||${HOST}`);
    expect(jwksCluster(snap, `https://${HOST}/keys`, 'b')).to.equal(undefined);
  });
});
