/**
 * updateSnapshot(prev, objects, changedKeys) must equal buildSnapshot(objects) for every kind of change: checked
 * over a table (add / modify / delete of each kind the registry reads), one change at a time and all in a row.
 * Endpoint-only changes must also share the previous snapshot's unchanged parts.
 */
import { expect } from 'chai';
import { objectKey, type KubeObject } from '../../src/core/kube.js';
import { buildSnapshot, updateSnapshot } from '../../src/model/snapshot.js';
import type { Snapshot } from '../../src/model/types.js';
import { edit } from '../support/objects.js';

const svc = (name: string, spec: object, namespace = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec });
const pod = (name: string, ip: string, labels: Record<string, string>, o: { ready?: boolean; namespace?: string; ports?: object[] } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: o.namespace ?? 'default', labels },
  spec: { containers: [{ name: 'app', ports: o.ports ?? [] }] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
});
const slice = (name: string, service: string, eps: Array<{ ip: string; pod?: string; ready?: boolean }>): KubeObject =>
  ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    ports: [{ name: 'http', port: 8080 }],
    endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true }, ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod } } : {}) })),
  }) as KubeObject;
const endpointsObj = (name: string, ips: string[]): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: 'default' }, subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'tcp', port: 5432 }] }] }) as KubeObject;
const istio = (kind: string, name: string, spec: object, namespace = 'default', group = 'networking'): KubeObject => ({ apiVersion: `${group}.istio.io/v1`, kind, metadata: { name, namespace }, spec });
const secret = (name: string, data: Record<string, string>, namespace = 'default'): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data }) as KubeObject;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const we = (name: string, address: string, labels: Record<string, string>, namespace = 'default'): KubeObject => istio('WorkloadEntry', name, { address, labels }, namespace);

function base(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', labels: { 'istio-injection': 'enabled' } } },
    svc('reviews', { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] }),
    svc('ratings', { selector: { app: 'ratings' }, ports: [{ name: 'http', port: 9080, targetPort: 'web' }] }),
    svc('sliced', { ports: [{ name: 'http', port: 80 }] }),
    svc('db', { ports: [{ name: 'tcp', port: 5432 }] }),
    svc('other', { selector: { app: 'other' }, ports: [{ name: 'grpc', port: 7070 }] }, 'shop'),
    pod('reviews-1', '10.0.0.1', { app: 'reviews', version: 'v1' }),
    pod('reviews-2', '10.0.0.2', { app: 'reviews', version: 'v2' }, { ready: false }),
    pod('ratings-1', '10.0.0.3', { app: 'ratings' }, { ports: [{ name: 'web', containerPort: 9999 }] }),
    pod('sliced-pod', '10.0.1.1', { team: 'x', version: 'v9' }),
    pod('other-1', '10.1.0.1', { app: 'other' }, { namespace: 'shop' }),
    slice('sliced-a', 'sliced', [{ ip: '10.0.1.1', pod: 'sliced-pod' }, { ip: '10.0.1.2', ready: false }]),
    endpointsObj('db', ['10.0.2.1']),
    istio('ServiceEntry', 'vms', { hosts: ['vm.example.internal'], ports: [{ number: 3306, name: 'mysql', protocol: 'TCP' }], workloadSelector: { labels: { app: 'mysql' } }, resolution: 'STATIC' }),
    istio('ServiceEntry', 'ext', { hosts: ['api.example.com'], ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], resolution: 'DNS' }),
    we('vm1', '10.9.0.1', { app: 'mysql' }),
    // Second definitions of hosts (host-definitions.ts): the VMs' host again, kept to its namespace, and a
    // Kubernetes Service's host, both selecting workloads of their namespace.
    istio('ServiceEntry', 'vms', { hosts: ['vm.example.internal'], ports: [{ number: 3306, name: 'mysql', protocol: 'TCP' }], workloadSelector: { labels: { app: 'mysql' } }, resolution: 'STATIC', exportTo: ['.'] }, 'shop'),
    istio('ServiceEntry', 'db-extra', { hosts: ['db.default.svc.cluster.local'], ports: [{ number: 5432, name: 'tcp', protocol: 'TCP' }], workloadSelector: { labels: { app: 'pg' } }, resolution: 'STATIC' }, 'shop'),
    istio('VirtualService', 'reviews', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] }),
    istio('DestinationRule', 'reviews', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] }),
    istio('Gateway', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] }),
    istio('AuthorizationPolicy', 'deny', { action: 'DENY' }, 'default', 'security'),
    httpRoute('to-ratings', 'ratings', 'shop'),
    // A Gateway API Gateway admitting routes from namespaces labelled for injection (default, until relabelled).
    gw('Gateway', 'edge', { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { 'istio-injection': 'enabled' } } } } }] }),
    gw('HTTPRoute', 'edge-reviews', { parentRefs: [{ name: 'edge' }], hostnames: ['reviews.example.com'], rules: [{ backendRefs: [{ name: 'reviews', port: 9080 }] }] }),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' }, data: {} } as KubeObject,
    secret('b-cert', { cert: b64('not a certificate'), key: b64('not a key') }),
    secret('ca-only', { 'ca.crt': b64('not a CA') }, 'shop'),
  ];
}

const gw = (kind: string, name: string, spec: object, namespace = 'default', version = 'v1'): KubeObject => ({ apiVersion: `gateway.networking.k8s.io/${version}`, kind, metadata: { name, namespace }, spec });
const httpRoute = (name: string, backend: string, namespace = 'default'): KubeObject =>
  gw('HTTPRoute', name, { parentRefs: [{ group: '', kind: 'Service', name: 'reviews', namespace: 'default' }], rules: [{ backendRefs: [{ name: backend, namespace: 'default', port: 9080 }] }] }, namespace);

const keyOf = (o: KubeObject): string => objectKey(o);
const replace = (objs: KubeObject[], o: KubeObject): KubeObject[] => [...objs.filter((x) => keyOf(x) !== keyOf(o)), o];
const drop = (objs: KubeObject[], kind: string, name: string): KubeObject[] => objs.filter((o) => !(o.kind === kind && o.metadata.name === name));
/** objectKeys whose content differs between two object lists (what the store reports). */
function changedKeys(a: KubeObject[], b: KubeObject[]): string[] {
  const ma = new Map(a.map((o) => [keyOf(o), JSON.stringify(o)]));
  const mb = new Map(b.map((o) => [keyOf(o), JSON.stringify(o)]));
  return [...new Set([...ma.keys(), ...mb.keys()])].filter((k) => ma.get(k) !== mb.get(k));
}

function expectSame(inc: Snapshot, full: Snapshot): void {
  expect(inc).to.deep.equal(full);
  // Order matters too (Maps and lists iterate in sorted order).
  expect([...inc.services.keys()]).to.deep.equal([...full.services.keys()]);
  expect([...inc.namespaces.keys()]).to.deep.equal([...full.namespaces.keys()]);
  expect([...inc.namespaces.keys()], 'Secrets name no mesh namespace').to.not.include('secrets-only');
  expect(new Map([...inc.credentials].sort(([a], [b]) => (a < b ? -1 : 1)))).to.deep.equal(new Map([...full.credentials].sort(([a], [b]) => (a < b ? -1 : 1))));
  for (const [h, eps] of full.endpoints) expect(inc.endpoints.get(h), h).to.deep.equal(eps);
  expect(inc.version).to.equal(full.version);
}

const changes: Array<{ name: string; change: (o: KubeObject[]) => KubeObject[]; endpointOnly?: boolean; noEffect?: boolean }> = [
  { name: 'pod added', change: (o) => [...o, pod('reviews-3', '10.0.0.9', { app: 'reviews', version: 'v3' })], endpointOnly: true },
  { name: 'pod IP changed', change: (o) => edit(o, 'Pod', 'reviews-1', (p) => (p.status.podIP = '10.0.0.7')), endpointOnly: true },
  { name: 'pod becomes ready', change: (o) => edit(o, 'Pod', 'reviews-2', (p) => (p.status.conditions[0].status = 'True')), endpointOnly: true },
  { name: 'pod labels move it to another service', change: (o) => edit(o, 'Pod', 'reviews-2', (p) => (p.metadata.labels = { app: 'ratings' })), endpointOnly: true },
  { name: 'pod named port changes', change: (o) => edit(o, 'Pod', 'ratings-1', (p) => (p.spec.containers[0].ports[0].containerPort = 9998)), endpointOnly: true },
  { name: 'pod deleted', change: (o) => drop(o, 'Pod', 'reviews-1'), endpointOnly: true },
  { name: 'pod terminating', change: (o) => edit(o, 'Pod', 'reviews-1', (p) => (p.metadata.deletionTimestamp = '2024-01-01T00:00:00Z')), endpointOnly: true },
  { name: 'pod in a new namespace', change: (o) => [...o, pod('x', '10.5.0.1', { app: 'x' }, { namespace: 'fresh' })], endpointOnly: true },
  { name: 'pod referenced by a slice changes labels', change: (o) => edit(o, 'Pod', 'sliced-pod', (p) => (p.metadata.labels.version = 'v10')), endpointOnly: true },
  { name: 'pod selected by a ServiceEntry', change: (o) => [...o, pod('mysql-pod', '10.0.3.1', { app: 'mysql' })], endpointOnly: true },
  { name: 'pod selected by the second definition of a ServiceEntry host', change: (o) => [...o, pod('mysql-shop', '10.1.3.1', { app: 'mysql' }, { namespace: 'shop' })], endpointOnly: true },
  { name: 'pod selected by a ServiceEntry defining a Kubernetes Service’s host', change: (o) => [...o, pod('pg-1', '10.1.4.1', { app: 'pg' }, { namespace: 'shop' })], endpointOnly: true },
  { name: 'WorkloadEntry selected by the second definition of a host', change: (o) => [...o, we('vm3', '10.9.1.3', { app: 'mysql' }, 'shop')], endpointOnly: true },
  { name: 'slice added', change: (o) => [...o, slice('sliced-b', 'sliced', [{ ip: '10.0.1.3' }])], endpointOnly: true },
  { name: 'slice modified', change: (o) => edit(o, 'EndpointSlice', 'sliced-a', (s) => (s.endpoints[1].conditions.ready = true)), endpointOnly: true },
  { name: 'slice moved to another service', change: (o) => edit(o, 'EndpointSlice', 'sliced-a', (s) => (s.metadata.labels['kubernetes.io/service-name'] = 'reviews')), endpointOnly: true },
  { name: 'slice deleted', change: (o) => drop(o, 'EndpointSlice', 'sliced-a'), endpointOnly: true },
  { name: 'FQDN slice added (skipped)', change: (o) => [...o, { ...slice('sliced-fqdn', 'sliced', [{ ip: 'backend.example.com' }]), addressType: 'FQDN' } as KubeObject], endpointOnly: true, noEffect: true },
  { name: 'slice turned FQDN (skipped)', change: (o) => edit(o, 'EndpointSlice', 'sliced-a', (s) => ((s.addressType = 'FQDN'), (s.endpoints[0].addresses = ['backend.example.com']))), endpointOnly: true },
  { name: 'Endpoints added', change: (o) => [...o, endpointsObj('reviews', ['10.7.0.1'])], endpointOnly: true },
  { name: 'Endpoints modified', change: (o) => edit(o, 'Endpoints', 'db', (e) => e.subsets[0].addresses.push({ ip: '10.0.2.2' })), endpointOnly: true },
  { name: 'Endpoints deleted', change: (o) => drop(o, 'Endpoints', 'db'), endpointOnly: true },
  { name: 'WorkloadEntry added', change: (o) => [...o, we('vm2', '10.9.0.2', { app: 'mysql' })], endpointOnly: true },
  { name: 'WorkloadEntry modified', change: (o) => edit(o, 'WorkloadEntry', 'vm1', (w) => (w.spec.address = '10.9.0.9')), endpointOnly: true },
  { name: 'WorkloadEntry deleted', change: (o) => drop(o, 'WorkloadEntry', 'vm1'), endpointOnly: true },
  { name: 'VirtualService added', change: (o) => [...o, istio('VirtualService', 'ratings', { hosts: ['ratings'], http: [{ route: [{ destination: { host: 'ratings' } }] }] })] },
  { name: 'VirtualService modified', change: (o) => edit(o, 'VirtualService', 'reviews', (v) => (v.spec.http[0].route[0].destination.subset = 'v2')) },
  { name: 'VirtualService deleted', change: (o) => drop(o, 'VirtualService', 'reviews') },
  { name: 'DestinationRule modified', change: (o) => edit(o, 'DestinationRule', 'reviews', (d) => d.spec.subsets.push({ name: 'v2', labels: { version: 'v2' } })) },
  { name: 'DestinationRule deleted', change: (o) => drop(o, 'DestinationRule', 'reviews') },
  { name: 'Gateway modified', change: (o) => edit(o, 'Gateway', 'gw', (g) => (g.spec.servers[0].port.number = 8080)) },
  { name: 'AuthorizationPolicy added', change: (o) => [...o, istio('AuthorizationPolicy', 'allow', {}, 'shop', 'security')] },
  { name: 'WasmPlugin added', change: (o) => [...o, { ...istio('WasmPlugin', 'headers', { url: 'file:///opt/headers.wasm' }, 'shop', 'extensions'), apiVersion: 'extensions.istio.io/v1alpha1' }] },
  { name: 'HTTPRoute added', change: (o) => [...o, httpRoute('reviews-split', 'reviews')] },
  { name: 'HTTPRoute modified', change: (o) => edit(o, 'HTTPRoute', 'to-ratings', (r) => (r.spec.rules[0].backendRefs[0].name = 'reviews')) },
  { name: 'HTTPRoute deleted', change: (o) => drop(o, 'HTTPRoute', 'to-ratings') },
  { name: 'GRPCRoute added', change: (o) => [...o, gw('GRPCRoute', 'grpc', { parentRefs: [{ group: '', kind: 'Service', name: 'other' }], rules: [{ backendRefs: [{ name: 'other', port: 7070 }] }] }, 'shop')] },
  { name: 'ReferenceGrant added (a route in shop may now send to default)', change: (o) => [...o, gw('ReferenceGrant', 'from-shop', { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'shop' }], to: [{ group: '', kind: 'Service' }] }, 'default', 'v1beta1')] },
  { name: 'Gateway API Gateway listener added', change: (o) => edit(o, 'Gateway', 'edge', (g) => g.spec.listeners?.push({ name: 'alt', port: 8080, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } })) },
  {
    name: 'ListenerSet added to the Gateway API Gateway, with a route on it',
    change: (o) => [
      ...edit(o, 'Gateway', 'edge', (g) => (g.spec.allowedListeners = { namespaces: { from: 'All' } })),
      gw('ListenerSet', 'extra', { parentRef: { name: 'edge', namespace: 'default' }, listeners: [{ name: 'more', port: 9090, protocol: 'HTTP' }] }, 'shop'),
      gw('HTTPRoute', 'on-set', { parentRefs: [{ kind: 'ListenerSet', name: 'extra' }], rules: [{ backendRefs: [{ name: 'other', port: 7070 }] }] }, 'shop'),
    ],
  },
  { name: 'Gateway API Gateway deleted', change: (o) => o.filter((x) => !(x.kind === 'Gateway' && x.apiVersion.startsWith('gateway.networking.k8s.io/'))) },
  { name: 'Service added', change: (o) => [...o, svc('new', { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 1 }] })] },
  { name: 'Service port changed', change: (o) => edit(o, 'Service', 'reviews', (s) => (s.spec.ports[0].port = 9081)) },
  { name: 'Service deleted', change: (o) => drop(o, 'Service', 'reviews') },
  { name: 'ServiceEntry modified', change: (o) => edit(o, 'ServiceEntry', 'ext', (s) => s.spec.hosts.push('api2.example.com')) },
  { name: 'ServiceEntry deleted', change: (o) => drop(o, 'ServiceEntry', 'vms') },
  { name: 'Namespace labels changed', change: (o) => edit(o, 'Namespace', 'default', (n) => (n.metadata.labels = { team: 'a' })) },
  { name: 'Namespace added', change: (o) => [...o, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'empty' } }] },
  { name: 'Secret added (in a namespace of its own, which it does not make a mesh namespace)', change: (o) => [...o, secret('a-cert', { 'tls.crt': b64('x'), 'tls.key': b64('y') }, 'secrets-only')] },
  { name: 'Secret modified', change: (o) => edit(o, 'Secret', 'b-cert', (x) => delete x.data.key) },
  { name: 'Secret relabelled, its credential unchanged', change: (o) => edit(o, 'Secret', 'b-cert', (x) => (x.metadata.labels = { team: 'a' })), noEffect: true },
  { name: 'Secret loses its credential keys', change: (o) => edit(o, 'Secret', 'ca-only', (x) => (x.data = { other: b64('z') })) },
  { name: 'Secret deleted', change: (o) => drop(o, 'Secret', 'b-cert') },
  { name: 'Secret without credential keys added', change: (o) => [...o, secret('plain', { password: b64('p') })], noEffect: true },
  { name: 'unrelated object', change: (o) => edit(o, 'ConfigMap', 'cm', (c) => (c.data = { a: '1' })), noEffect: true },
  { name: 'last object of a namespace deleted', change: (o) => drop(o, 'Service', 'other').filter((x) => x.metadata.name !== 'other-1') },
  // Only objects whose name ends a changed key are looked at: names that end one another, same name elsewhere.
  { name: 'pod changed next to a pod whose name ends with its name', change: (o) => edit([...o, pod('xreviews-1', '10.0.0.9', { app: 'reviews', version: 'v1' })], 'Pod', 'reviews-1', (p) => (p.status.podIP = '10.0.0.7')), endpointOnly: true },
  { name: 'pod added with the name of a pod in another namespace', change: (o) => [...o, pod('other-1', '10.0.0.8', { app: 'reviews', version: 'v2' })], endpointOnly: true },
  { name: 'two changes at once', change: (o) => replace(drop(o, 'Pod', 'reviews-1'), slice('sliced-b', 'sliced', [{ ip: '10.0.1.4' }])), endpointOnly: true },
];

describe('updateSnapshot equals buildSnapshot', () => {
  it('rebuilds when the mesh outbound policy changes (same objects, another version)', () => {
    const objects = base();
    const prev = buildSnapshot(objects);
    const next = updateSnapshot(prev, objects, [], { registryOnly: true });
    expect(next.mesh.registryOnly).to.equal(true);
    expect(next.version).to.not.equal(prev.version);
    expectSame(next, buildSnapshot(objects, { registryOnly: true }));
  });

  for (const t of changes) {
    it(t.name, () => {
      const before = base();
      const prev = buildSnapshot(before);
      const after = t.change(before);
      const keys = changedKeys(before, after);
      expect(keys, 'the change changes something').to.not.be.empty;
      const inc = updateSnapshot(prev, after, keys);
      expectSame(inc, buildSnapshot(after));
      if (t.noEffect) expect(inc.version).to.equal(prev.version);
      else expect(inc.version).to.not.equal(prev.version);
      if (t.endpointOnly) {
        // Nothing but endpoints and workloads is rebuilt: the rest is the previous snapshot's own.
        expect(inc.services).to.equal(prev.services);
        expect(inc.virtualServices).to.equal(prev.virtualServices);
        expect(inc.destinationRules).to.equal(prev.destinationRules);
        const same = [...prev.endpoints.keys()].filter((h) => inc.endpoints.get(h) === prev.endpoints.get(h));
        expect(same.length, 'untouched services keep their endpoint lists').to.be.greaterThan(0);
      }
    });
  }

  it('relabelling a namespace re-admits its routes to a Gateway API listener that selects namespaces by label', () => {
    const before = base();
    const prev = buildSnapshot(before);
    const edgeRoutes = (snap: Snapshot) => snap.virtualServices.filter((v) => v.name.startsWith('edge.')).map((v) => v.spec.hosts[0]);
    expect(edgeRoutes(prev)).to.deep.equal(['reviews.example.com']);
    const after = edit(before, 'Namespace', 'default', (n) => (n.metadata.labels = { team: 'a' }));
    const inc = updateSnapshot(prev, after, changedKeys(before, after));
    expect(edgeRoutes(inc)).to.deep.equal([]);
    expectSame(inc, buildSnapshot(after));
  });

  it('all changes in a row, each from the previous incremental snapshot', () => {
    let objs = base();
    let snap = buildSnapshot(objs);
    for (const t of changes) {
      const next = t.change(objs);
      snap = updateSnapshot(snap, next, changedKeys(objs, next));
      objs = next;
      expectSame(snap, buildSnapshot(objs));
    }
  });

  it('the previous snapshot is never modified', () => {
    const before = base();
    const prev = buildSnapshot(before);
    const copy = structuredClone({ ...prev, endpoints: [...prev.endpoints], services: [...prev.services] });
    for (const t of changes) updateSnapshot(prev, t.change(before), changedKeys(before, t.change(before)));
    expect({ ...prev, endpoints: [...prev.endpoints], services: [...prev.services] }).to.deep.equal(copy);
    expectSame(prev, buildSnapshot(before));
  });

  it('no changed keys: the same snapshot; a snapshot from elsewhere: built from scratch', () => {
    const objs = base();
    const prev = buildSnapshot(objs);
    expect(updateSnapshot(prev, objs, [])).to.equal(prev);
    const foreign = { ...prev };
    expectSame(updateSnapshot(foreign, objs, ['Pod/default/reviews-1']), prev);
  });

  it('endpoint lists do not depend on the input order', () => {
    const objs = [...base(), slice('sliced-b', 'sliced', [{ ip: '10.0.1.1', ready: false }])];
    expectSame(buildSnapshot([...objs].reverse()), buildSnapshot(objs));
  });
});
