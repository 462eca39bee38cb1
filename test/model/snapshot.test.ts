import { expect } from 'chai';
import { buildSnapshot } from '../../src/model/snapshot.js';
import { selectProtocol } from '../../src/model/protocol.js';
import type { KubeObject } from '../../src/core/kube.js';
import type { Endpoint, Protocol } from '../../src/model/types.js';

const svc = (name: string, ports: object[], selector: Record<string, string> | undefined = { app: name }, extra: object = {}, namespace = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { ports, ...(selector ? { selector } : {}), ...extra },
});

const pod = (name: string, ip: string, labels: Record<string, string>, o: { ready?: boolean; ports?: object[]; deleted?: boolean; phase?: string; sa?: string; namespace?: string } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: o.namespace ?? 'default', labels, ...(o.deleted ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  spec: { serviceAccountName: o.sa, containers: [{ name: 'app', ports: o.ports ?? [] }] },
  status: { phase: o.phase ?? 'Running', podIP: ip, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
});

const slim = (eps: Endpoint[] | undefined): string[] => (eps ?? []).map((e) => `${e.address}:${e.port}${e.healthy ? '' : ' unhealthy'}${e.labels.version ? ` ${e.labels.version}` : ''}`);

describe('protocol selection', () => {
  const table: Array<[string, { name?: string; port?: number; appProtocol?: string; kubeProtocol?: string }, Protocol]> = [
    ['http', { name: 'http' }, 'HTTP'],
    ['http-suffix', { name: 'http-web' }, 'HTTP'],
    ['upper case', { name: 'HTTP' }, 'HTTP'],
    ['http2', { name: 'http2' }, 'HTTP2'],
    ['grpc', { name: 'grpc' }, 'GRPC'],
    ['grpc-suffix', { name: 'grpc-reviews' }, 'GRPC'],
    ['grpc-web', { name: 'grpc-web' }, 'GRPC-Web'],
    ['grpc-web-suffix', { name: 'grpc-web-x' }, 'GRPC-Web'],
    ['https', { name: 'https-admin' }, 'HTTPS'],
    ['tls', { name: 'tls' }, 'TLS'],
    ['tcp', { name: 'tcp-db' }, 'TCP'],
    ['mongo', { name: 'mongo' }, 'MONGO'],
    ['redis', { name: 'redis-cache' }, 'REDIS'],
    ['mysql', { name: 'mysql' }, 'MYSQL'],
    ['unknown prefix', { name: 'httpx' }, 'UNSUPPORTED'],
    ['no name', { name: '' }, 'UNSUPPORTED'],
    ['prefix must end at the dash', { name: 'web-http' }, 'UNSUPPORTED'],
    ['appProtocol wins over the name', { name: 'http', appProtocol: 'grpc' }, 'GRPC'],
    ['appProtocol kubernetes.io/h2c', { name: 'x', appProtocol: 'kubernetes.io/h2c' }, 'HTTP2'],
    ['appProtocol kubernetes.io/ws', { appProtocol: 'kubernetes.io/ws' }, 'HTTP'],
    ['Kubernetes UDP', { name: 'http', kubeProtocol: 'UDP' }, 'UDP'],
    ['DNS port without a name', { port: 53 }, 'TCP'],
  ];
  for (const [name, input, want] of table) it(name, () => expect(selectProtocol(input)).to.equal(want));
});

describe('buildSnapshot', () => {
  it('names services by FQDN with the domain suffix, keeps ports, addresses and selector', () => {
    const s = buildSnapshot([svc('reviews', [{ name: 'http', port: 9080, targetPort: 9081 }], { app: 'reviews' }, { clusterIP: '10.0.0.1' }, 'shop')], { domainSuffix: 'example.org' });
    const r = s.services.get('reviews.shop.svc.example.org')!;
    expect(r).to.include({ name: 'reviews', namespace: 'shop', resolution: 'STATIC', source: 'kubernetes', meshExternal: false });
    expect(r.ports).to.deep.equal([{ name: 'http', port: 9080, targetPort: 9081, protocol: 'HTTP' }]);
    expect(r.addresses).to.deep.equal(['10.0.0.1']);
    expect(r.selector).to.deep.equal({ app: 'reviews' });
    expect(r.exportTo, 'none said: the mesh default (everywhere unless the mesh config says)').to.deep.equal([]);
    expect([...s.namespaces.keys()]).to.deep.equal(['shop']);
  });

  const endpointTable: Array<{ name: string; objects: KubeObject[]; host?: string; want: string[] }> = [
    {
      name: 'selected pods: ready, not ready, other labels, deleted, finished, other namespace',
      objects: [
        svc('reviews', [{ name: 'http', port: 9080 }]),
        pod('a', '10.0.0.1', { app: 'reviews', version: 'v1' }),
        pod('b', '10.0.0.2', { app: 'reviews', version: 'v2' }, { ready: false }),
        pod('c', '10.0.0.3', { app: 'ratings' }),
        pod('d', '10.0.0.4', { app: 'reviews' }, { deleted: true }),
        pod('e', '10.0.0.5', { app: 'reviews' }, { phase: 'Succeeded' }),
        pod('f', '10.0.0.6', { app: 'reviews' }, { namespace: 'other' }),
      ],
      want: ['10.0.0.1:9080 v1', '10.0.0.2:9080 unhealthy v2'],
    },
    {
      name: 'numeric targetPort',
      objects: [svc('reviews', [{ name: 'http', port: 80, targetPort: 8080 }]), pod('a', '10.0.0.1', { app: 'reviews' })],
      want: ['10.0.0.1:8080'],
    },
    {
      name: 'named targetPort resolved per pod (a pod without that port is skipped)',
      objects: [
        svc('reviews', [{ name: 'http', port: 80, targetPort: 'web' }]),
        pod('a', '10.0.0.1', { app: 'reviews' }, { ports: [{ name: 'web', containerPort: 8080 }] }),
        pod('b', '10.0.0.2', { app: 'reviews' }, { ports: [{ name: 'web', containerPort: 9090 }] }),
        pod('c', '10.0.0.3', { app: 'reviews' }, { ports: [{ name: 'other', containerPort: 1 }] }),
      ],
      want: ['10.0.0.1:8080', '10.0.0.2:9090'],
    },
    {
      name: 'EndpointSlices are preferred over pods; labels come from the targetRef pod; ready=false is unhealthy',
      objects: [
        svc('reviews', [{ name: 'http', port: 9080 }]),
        pod('a', '10.0.0.1', { app: 'reviews', version: 'v1' }),
        {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: 'reviews-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'reviews' } },
          addressType: 'IPv4',
          ports: [{ name: 'http', port: 9081 }],
          endpoints: [
            { addresses: ['10.0.0.1'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'a' } },
            { addresses: ['10.0.0.9'], conditions: { ready: false } },
            { addresses: ['10.0.0.8'], conditions: { ready: false, terminating: true } },
          ],
        },
      ],
      want: ['10.0.0.1:9081 v1', '10.0.0.9:9081 unhealthy'],
    },
    {
      name: 'FQDN EndpointSlices are skipped (EDS carries IPs only), the IPv4 slice of the same service is kept',
      objects: [
        svc('ext', [{ name: 'http', port: 80 }], undefined),
        ...(['IPv4', 'FQDN'] as const).map((addressType, i) => ({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: `ext-${i}`, namespace: 'default', labels: { 'kubernetes.io/service-name': 'ext' } },
          addressType,
          ports: [{ name: 'http', port: 8080 }],
          endpoints: [{ addresses: [addressType === 'FQDN' ? 'backend.example.com' : '10.0.0.5'], conditions: { ready: true } }],
        })),
      ],
      host: 'ext.default.svc.cluster.local',
      want: ['10.0.0.5:8080'],
    },
    {
      name: 'v1 Endpoints (addresses and notReadyAddresses)',
      objects: [
        svc('db', [{ name: 'tcp', port: 3306 }], undefined),
        { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'db', namespace: 'default' }, subsets: [{ addresses: [{ ip: '192.168.1.1' }], notReadyAddresses: [{ ip: '192.168.1.2' }], ports: [{ name: 'tcp', port: 3306 }] }] } as KubeObject,
      ],
      host: 'db.default.svc.cluster.local',
      want: ['192.168.1.1:3306', '192.168.1.2:3306 unhealthy'],
    },
    {
      name: 'ServiceEntry inline endpoints: per-endpoint ports map, labels, locality, weight',
      objects: [
        {
          apiVersion: 'networking.istio.io/v1',
          kind: 'ServiceEntry',
          metadata: { name: 'ext', namespace: 'default' },
          spec: {
            hosts: ['api.example.com'],
            location: 'MESH_EXTERNAL',
            resolution: 'STATIC',
            ports: [{ number: 443, name: 'https', protocol: 'HTTPS', targetPort: 8443 }],
            endpoints: [{ address: '1.1.1.1', ports: { https: 9443 }, labels: { version: 'a' }, locality: 'r/z', weight: 3 }, { address: '2.2.2.2' }],
          },
        },
      ],
      host: 'api.example.com',
      want: ['1.1.1.1:9443 a', '2.2.2.2:8443'],
    },
    {
      name: 'ServiceEntry workloadSelector picks WorkloadEntries of its namespace only',
      objects: [
        {
          apiVersion: 'networking.istio.io/v1',
          kind: 'ServiceEntry',
          metadata: { name: 'vm', namespace: 'default' },
          spec: { hosts: ['vm.example.internal'], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 3306, name: 'mysql', protocol: 'TCP' }], workloadSelector: { labels: { app: 'mysql' } } },
        },
        { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name: 'vm1', namespace: 'default' }, spec: { address: '10.1.1.1', labels: { app: 'mysql', version: 'v1' }, ports: { mysql: 3307 } } },
        { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name: 'vm2', namespace: 'other' }, spec: { address: '10.1.1.2', labels: { app: 'mysql' } } },
        { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name: 'vm3', namespace: 'default' }, spec: { address: '10.1.1.3', labels: { app: 'redis' } } },
      ],
      host: 'vm.example.internal',
      want: ['10.1.1.1:3307 v1'],
    },
    {
      name: 'DNS ServiceEntry without endpoints resolves the host itself',
      objects: [{ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'g' }, spec: { hosts: ['www.googleapis.com'], resolution: 'DNS', ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }] } }],
      host: 'www.googleapis.com',
      want: ['www.googleapis.com:443'],
    },
  ];
  for (const t of endpointTable) {
    it(`endpoints: ${t.name}`, () => {
      const s = buildSnapshot(t.objects);
      const host = t.host ?? [...s.services.keys()][0]!;
      expect(slim(s.endpoints.get(host))).to.deep.equal(t.want);
    });
  }

  it('ServiceEntry services carry resolution, location, exportTo and explicit protocols', () => {
    const s = buildSnapshot([
      { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'e', namespace: 'x' }, spec: { hosts: ['a.com', 'b.com'], exportTo: ['.'], resolution: 'DNS', ports: [{ number: 80, name: 'web', protocol: 'HTTP' }] } },
    ]);
    expect([...s.services.keys()]).to.deep.equal(['a.com', 'b.com']);
    expect(s.services.get('a.com')).to.deep.include({ resolution: 'DNS', meshExternal: true, exportTo: ['.'], source: 'serviceentry', namespace: 'x' });
    expect(s.services.get('a.com')!.ports[0]!.protocol).to.equal('HTTP');
    const e = s.endpoints.get('a.com')![0]!;
    expect(e).to.include({ locality: '', weight: 1, healthy: true, servicePortName: 'web' });
  });

  it('endpoint details: service account, locality from topology labels, tlsMode, workload', () => {
    const p = pod('a', '10.0.0.1', { app: 'r', 'topology.kubernetes.io/region': 'eu', 'topology.kubernetes.io/zone': 'eu-1', 'security.istio.io/tlsMode': 'istio' }, { sa: 'reviews' });
    const s = buildSnapshot([svc('r', [{ name: 'grpc', port: 50051 }]), p]);
    expect(s.endpoints.get('r.default.svc.cluster.local')![0]).to.deep.equal({
      address: '10.0.0.1', port: 50051, servicePortName: 'grpc', labels: p.metadata.labels, locality: 'eu/eu-1/', weight: 1, healthy: true, serviceAccount: 'reviews', workload: 'default/a', workloadName: 'a', tlsMode: 'istio',
    });
    expect(s.workloads).to.deep.equal([{ name: 'a', namespace: 'default', ip: '10.0.0.1', labels: p.metadata.labels, serviceAccount: 'reviews', kind: 'Pod', ready: true }]);
  });

  it("endpoint workloadName: the pod's Deployment (ReplicaSet owner less its hash), else its owner, else the pod; a malformed ownerReferences names none", () => {
    const owned = (name: string, owners: unknown, hash?: string): KubeObject => {
      const p = pod(name, `10.0.0.${name.length}`, { app: 'r', ...(hash ? { 'pod-template-hash': hash } : {}) });
      return { ...p, metadata: { ...p.metadata, ownerReferences: owners } } as KubeObject;
    };
    const s = buildSnapshot([
      svc('r', [{ name: 'grpc', port: 50051 }]),
      owned('r-1', [{ kind: 'ReplicaSet', name: 'reviews-v1-5d8f', controller: true }], '5d8f'),
      owned('r-22', [{ kind: 'StatefulSet', name: 'db', controller: true }]),
      owned('r-333', 'not a list'),
    ]);
    const names = Object.fromEntries(s.endpoints.get('r.default.svc.cluster.local')!.map((e) => [e.workload, e.workloadName]));
    expect(names).to.deep.equal({ 'default/r-1': 'reviews-v1', 'default/r-22': 'db', 'default/r-333': 'r-333' });
  });

  it("an EndpointSlice endpoint's zone is its locality where its pod's labels say none (Kubernetes records the node's zone there)", () => {
    const slice = (endpoints: unknown[]): KubeObject => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'r-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'r' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 9080 }],
      endpoints,
    });
    const s = buildSnapshot([
      svc('r', [{ name: 'http', port: 9080 }]),
      pod('plain', '10.0.0.1', { app: 'r' }),
      pod('labelled', '10.0.0.2', { app: 'r', 'istio-locality': 'eu.eu-1' }),
      slice([
        { addresses: ['10.0.0.1'], zone: 'zone-a', targetRef: { kind: 'Pod', name: 'plain' } },
        { addresses: ['10.0.0.2'], zone: 'zone-b', targetRef: { kind: 'Pod', name: 'labelled' } },
        { addresses: ['10.0.0.3'], zone: 'zone-c' },
      ]),
    ]);
    expect(s.endpoints.get('r.default.svc.cluster.local')!.map((e) => [e.address, e.locality])).to.deep.equal([
      ['10.0.0.1', '/zone-a'],
      ['10.0.0.2', 'eu/eu-1'],
      ['10.0.0.3', '/zone-c'],
    ]);
  });

  it("a pod's locality label: topology.istio.io/locality before the older istio-locality, dots as slashes, a value with slashes as it is", async () => {
    const { localityOf } = await import('../../src/model/registry.js');
    expect(localityOf({ 'topology.istio.io/locality': 'us-east1.us-east1-b.rack4', 'istio-locality': 'eu.eu-1' })).to.equal('us-east1/us-east1-b/rack4');
    expect(localityOf({ 'istio-locality': 'eu.eu-1' })).to.equal('eu/eu-1');
    expect(localityOf({ 'topology.istio.io/locality': 'us/zone-a' })).to.equal('us/zone-a');
    expect(localityOf({ 'topology.istio.io/locality': '', 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'z' })).to.equal('r/z/');
    const s = buildSnapshot([svc('r', [{ name: 'http', port: 9080 }]), pod('p', '10.0.0.9', { app: 'r', 'topology.istio.io/locality': 'ap.ap-2' })]);
    expect(s.endpoints.get('r.default.svc.cluster.local')!.map((e) => e.locality)).to.deep.equal(['ap/ap-2']);
  });

  it('sorts Istio configs by creation time, then namespace/name, and ignores other API groups', () => {
    const vs = (name: string, namespace: string, ts?: string): KubeObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace, ...(ts ? { creationTimestamp: ts } : {}) }, spec: {} });
    const s = buildSnapshot([
      vs('b', 'ns1', '2024-01-02T00:00:00Z'),
      vs('a', 'ns2', '2024-01-01T00:00:00Z'),
      vs('z', 'ns1', '2024-01-01T00:00:00Z'),
      { apiVersion: 'example.com/v1', kind: 'VirtualService', metadata: { name: 'x' } },
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'ns1' }, spec: {} },
      { apiVersion: 'networking.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'wrong-group' }, spec: {} },
    ]);
    expect(s.virtualServices.map((c) => `${c.namespace}/${c.name}`)).to.deep.equal(['ns1/z', 'ns2/a', 'ns1/b']);
    expect(s.authorizationPolicies.map((c) => c.name)).to.deep.equal(['p']);
  });

  it('the version is a content hash: same content in any order → same version; any change → new version', () => {
    const objs = [svc('a', [{ name: 'http', port: 80 }]), pod('p', '10.0.0.1', { app: 'a' }), svc('b', [{ name: 'http', port: 80 }])];
    const v1 = buildSnapshot(objs).version;
    expect(buildSnapshot([...objs].reverse()).version).to.equal(v1);
    expect(buildSnapshot([...objs.slice(0, 2), svc('b', [{ name: 'http', port: 81 }])]).version).to.not.equal(v1);
    expect(buildSnapshot([svc('a', [{ name: 'http', port: 80 }]), pod('p', '10.0.0.1', { app: 'a' }, { ready: false }), objs[2]!]).version).to.not.equal(v1);
  });

  it('a Kubernetes service wins a hostname over a ServiceEntry', () => {
    const s = buildSnapshot([
      { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'se' }, spec: { hosts: ['r.default.svc.cluster.local'], ports: [{ number: 1, name: 'x' }] } },
      svc('r', [{ name: 'http', port: 80 }]),
    ]);
    expect(s.services.get('r.default.svc.cluster.local')!.source).to.equal('kubernetes');
  });

  it('never throws on malformed objects; skips what it cannot read', () => {
    const junk: unknown[] = [
      null, 42, 'x', [], {}, { apiVersion: 'v1', kind: 'Service' }, { apiVersion: 'v1', kind: 'Service', metadata: null },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad' }, spec: { ports: 'nope', selector: [1] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad2' }, spec: { ports: [null, { port: 'x' }, { port: 70000 }, { port: 80, targetPort: {} }] } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: 'x' }, spec: { containers: 'x' }, status: { podIP: 5, conditions: {} } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q' }, spec: null, status: { podIP: '1.2.3.4', conditions: [null] } },
      { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 's', labels: { 'kubernetes.io/service-name': 'bad2' } }, endpoints: [null, { addresses: [1] }], ports: 'x' },
      { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'bad' }, subsets: [{ addresses: 'x' }, null] },
      { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'se' }, spec: { hosts: [1, ''], ports: [{ number: 'x' }], endpoints: 'x', workloadSelector: 'x' } },
      { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'se2' }, spec: null },
      { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name: 'we' }, spec: { address: 7 } },
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'vs' }, spec: 'x' },
    ];
    const s = buildSnapshot(junk as KubeObject[]);
    expect([...s.services.keys()]).to.deep.equal(['bad.default.svc.cluster.local', 'bad2.default.svc.cluster.local']);
    expect(s.services.get('bad2.default.svc.cluster.local')!.ports.map((p) => p.port)).to.deep.equal([80]);
    expect(s.virtualServices[0]!.spec).to.deep.equal({});
    expect(() => buildSnapshot(undefined as unknown as KubeObject[])).not.to.throw();
  });
});
